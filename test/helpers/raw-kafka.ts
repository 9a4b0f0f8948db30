/**
 * A bare TCP connection to a broker for tests that send hand-made bytes:
 * write anything, read back whole response frames (int32 size + payload),
 * notice when the broker closes the connection, and send a well-formed
 * request through our codec (src/protocol/frames.ts) when the test needs a
 * real answer. Every wait is bounded. `openAsPeer` first authenticates as a
 * node (KB-CLUSTER-SECRET with the test cluster secret), as a peer
 * listener requires.
 */
import net from 'node:net';
import { decodeResponse, encodeRequest } from '../../src/protocol/frames.ts';
import { clientFinal, clientFirst, peerMechanism } from '../../src/net/peer-auth.ts';
import { testClusterSecret } from './broker.ts';

export class RawConnection {
  readonly socket: net.Socket;
  private buffered = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private wake: (() => void) | null = null;
  private nextCorrelationId = 1;
  /** Set once the connection is closed (by either side). */
  closed = false;
  /** The error the socket reported, if any (ECONNRESET when the broker resets it). */
  error: Error | null = null;
  private readonly closedPromise: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        this.frames.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
      this.wake?.();
    });
    socket.on('error', (err) => (this.error = err));
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  /** `localAddress` picks the address the connection comes from (any of 127.0.0.0/8 on loopback). */
  static open(host: string, port: number, timeoutMs = 5000, localAddress?: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, localAddress });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connecting to ${host}:${port} took more than ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', reject);
        resolve(new RawConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.socket.write(bytes, () => resolve());
    });
  }

  /**
   * The next response frame's payload (without the size prefix), or null when
   * the connection closes first. Rejects after `timeoutMs`.
   */
  async nextFrame(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response frame within ${timeoutMs} ms (and the connection is still open)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    return this.frames.shift()!;
  }

  /** True when the connection closes within `timeoutMs` (whoever closed it). */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.closedPromise.then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A connection to node `serverId`'s peer listener at host:port, authenticated as node `nodeId`. */
  static async openAsPeer(host: string, port: number, nodeId: number, serverId: number): Promise<RawConnection> {
    const connection = await RawConnection.open(host, port);
    const ok = (what: string, errorCode: number) => {
      if (errorCode !== 0) throw new Error(`${what} refused with error code ${errorCode}`);
    };
    ok('SaslHandshake', (await connection.request<{ errorCode: number }>(17, 1, { mechanism: peerMechanism })).body.errorCode);
    const first = clientFirst(nodeId, serverId);
    const challenge = (await connection.request<{ errorCode: number; authBytes: Buffer }>(36, 2, { authBytes: first.message })).body;
    ok('the first SaslAuthenticate', challenge.errorCode);
    const final = clientFinal(Buffer.from(testClusterSecret), first.exchange, challenge.authBytes);
    if (!final.ok) throw new Error(final.reason);
    ok('the final SaslAuthenticate', (await connection.request<{ errorCode: number }>(36, 2, { authBytes: final.value })).body.errorCode);
    return connection;
  }

  /** Sends a well-formed request with our codec and decodes the answer. */
  async request<T>(apiKey: number, apiVersion: number, body: unknown, timeoutMs = 10_000): Promise<{ correlationId: number; body: T }> {
    const correlationId = this.nextCorrelationId++;
    await this.write(encodeRequest(apiKey, apiVersion, correlationId, 'kb-bad-input-test', body));
    const frame = await this.nextFrame(timeoutMs);
    if (frame === null) throw new Error(`the broker closed the connection instead of answering API ${apiKey} v${apiVersion}`);
    const decoded = decodeResponse(apiKey, apiVersion, frame);
    if (decoded.correlationId !== correlationId) throw new Error(`response correlation id ${decoded.correlationId}, expected ${correlationId}`);
    return decoded as { correlationId: number; body: T };
  }

  destroy(): void {
    this.socket.destroy();
  }
}
