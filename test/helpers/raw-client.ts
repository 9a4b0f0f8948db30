/**
 * A bare Kafka wire client for tests that need exact control over what is
 * sent: writes raw bytes or encoded requests on one socket and reads
 * length-prefixed response frames back in order.
 */
import net from 'node:net';
import { encodeRequest, decodeResponse } from '../../src/protocol/frames.ts';

export class RawClient {
  private readonly socket: net.Socket;
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private ended = false;
  private correlationId = 1;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** `localAddress`: the address to connect from (e.g. 127.0.0.2, another client host on loopback). */
  static connect(host: string, port: number, localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, localAddress }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response payload (without its length prefix), or null if the broker closed the connection. */
  async nextFrame(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffer.length >= 4) {
        const size = this.buffer.readInt32BE(0);
        if (this.buffer.length >= 4 + size) {
          const frame = this.buffer.subarray(4, 4 + size);
          this.buffer = this.buffer.subarray(4 + size);
          return frame;
        }
      }
      if (this.ended) return null;
      if (Date.now() > deadline) throw new Error('no response frame in time');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** True once the broker has closed the connection (waits up to `timeoutMs`). */
  async closedByPeer(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.ended;
  }

  async request(apiKey: number, apiVersion: number, body: unknown): Promise<any> {
    const id = this.correlationId++;
    this.write(encodeRequest(apiKey, apiVersion, id, 'raw-test', body));
    const frame = await this.nextFrame();
    if (!frame) throw new Error('connection closed before the response');
    const response = decodeResponse(apiKey, apiVersion, frame);
    if (response.correlationId !== id) throw new Error(`correlation id ${response.correlationId}, expected ${id}`);
    return response.body;
  }

  close(): void {
    this.socket.destroy();
  }
}
