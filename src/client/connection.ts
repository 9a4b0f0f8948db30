/**
 * One client connection to one broker: sends requests with increasing
 * correlation ids and matches responses to them (the broker answers in
 * order). On connect it asks ApiVersions and then picks, per request, the
 * highest version both sides support (capped by what kb's client knows to
 * use). Requests that expect no response (acks=0 produce) resolve on write.
 *
 * Failures: connect errors and timeouts reject with ClientError naming the
 * broker; a closed socket rejects every request in flight.
 *
 * Memory: a response within one socket chunk is decoded from a view of it;
 * one spanning chunks is joined into a fresh buffer, or, for
 * `requestLeased` with a `framePool` configured, into pooled memory that the
 * caller hands back with `release()` once it no longer uses the body (whose
 * byte fields are views of that memory). A follower's 1 MB fetch answers
 * then do not each cost a fresh allocation and the GC work that follows.
 */
import net from 'node:net';
import { decodeResponse, encodeRequestChunks, moveChunkBytes } from '../protocol/frames.ts';

export class ClientError extends Error {
  override name = 'ClientError';
}

interface InFlight {
  apiKey: number;
  apiVersion: number;
  /** Resolve with `{ body, release }` rather than the body. */
  leased: boolean;
  resolve: (value: any) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  /** Where responses to `requestLeased` that span socket chunks are joined. */
  framePool?: FramePool;
}

/** Reusable memory: `take(size)` bytes, given back with `give` when no longer used (BufferPool). */
export interface FramePool {
  take(size: number): Buffer;
  give(buffer: Buffer): void;
}

/** A response body and the release of the memory its byte fields are views of. */
export interface Leased<T> {
  body: T;
  release(): void;
}

const noRelease = () => {};

const apiVersionsKey = 18;
const apiVersionsVersion = 3;

export class BrokerConnection {
  readonly address: string;
  private readonly options: ConnectionOptions;
  private socket: net.Socket | null = null;
  private readonly inFlight = new Map<number, InFlight>();
  private nextCorrelationId = 1;
  private received: Buffer[] = [];
  private receivedBytes = 0;
  private versions = new Map<number, [number, number]>();
  private closedError: Error | null = null;

  constructor(options: ConnectionOptions) {
    this.options = options;
    this.address = `${options.host}:${options.port}`;
  }

  async connect(): Promise<void> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: this.options.host, port: this.options.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ClientError(`cannot reach broker ${this.address}: no answer within ${this.options.connectTimeoutMs} ms`));
      }, this.options.connectTimeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new ClientError(`cannot reach broker ${this.address}: ${err.message}`));
      });
    });
    socket.setNoDelay(true);
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(new ClientError(`connection to ${this.address} failed: ${err.message}`)));
    socket.on('close', () => this.fail(new ClientError(`connection to ${this.address} closed`)));
    const apis = await this.send(apiVersionsKey, apiVersionsVersion, { clientSoftwareName: 'kb', clientSoftwareVersion: '0' });
    for (const api of apis.apiKeys as { apiKey: number; minVersion: number; maxVersion: number }[]) {
      this.versions.set(api.apiKey, [api.minVersion, api.maxVersion]);
    }
  }

  /** The highest version of `apiKey` both the broker and `clientMax` allow; throws when none. */
  version(apiKey: number, clientMax: number, clientMin = 0): number {
    const range = this.versions.get(apiKey);
    const v = range ? Math.min(range[1], clientMax) : -1;
    if (!range || v < Math.max(range[0], clientMin)) {
      throw new ClientError(`broker ${this.address} does not support API ${apiKey} at versions ${clientMin}..${clientMax}`);
    }
    return v;
  }

  /** Sends a request at the negotiated version and resolves with the decoded response body. */
  request<T = any>(apiKey: number, clientMax: number, body: unknown): Promise<T> {
    return this.send(apiKey, this.version(apiKey, clientMax), body);
  }

  /** Sends a request at exactly `apiVersion`, whatever the broker advertised (for kb's own nodes, which serve versions they do not advertise). */
  requestAt<T = any>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
    return this.send(apiKey, apiVersion, body);
  }

  /**
   * Like requestAt, but resolves with the body and a `release()` the caller
   * must call once done with it (see Memory in the header comment).
   */
  requestLeased<T = any>(apiKey: number, apiVersion: number, body: unknown): Promise<Leased<T>> {
    return this.send(apiKey, apiVersion, body, true);
  }

  /** Sends a request that gets no response (acks=0 produce). */
  requestNoResponse(apiKey: number, clientMax: number, body: unknown): Promise<void> {
    const frame = encodeRequestChunks(apiKey, this.version(apiKey, clientMax), this.nextCorrelationId++, this.options.clientId, body);
    return new Promise((resolve, reject) => {
      if (!this.socket || this.closedError) return reject(this.closedError ?? new ClientError('not connected'));
      writeCorked(this.socket, frame, (err) => (err ? reject(err) : resolve()));
    });
  }

  private send(apiKey: number, apiVersion: number, body: unknown, leased = false): Promise<any> {
    if (!this.socket || this.closedError) return Promise.reject(this.closedError ?? new ClientError('not connected'));
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequestChunks(apiKey, apiVersion, correlationId, this.options.clientId, body);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.inFlight.delete(correlationId);
        reject(new ClientError(`broker ${this.address} did not answer API ${apiKey} within ${this.options.requestTimeoutMs} ms`));
      }, this.options.requestTimeoutMs);
      this.inFlight.set(correlationId, { apiKey, apiVersion, leased, resolve, reject, timer });
      writeCorked(this.socket!, frame);
    });
  }

  private receive(chunk: Buffer): void {
    this.received.push(chunk);
    this.receivedBytes += chunk.length;
    while (this.receivedBytes >= 4) {
      if (this.received[0].length < 4) this.received = [Buffer.concat(this.received, this.receivedBytes)];
      const frameBytes = 4 + this.received[0].readInt32BE(0);
      if (this.receivedBytes < frameBytes) return;
      if (this.received[0].length < frameBytes && this.joinsIntoPool()) {
        this.deliverPooled(frameBytes);
        continue;
      }
      const data = this.received.length === 1 ? this.received[0] : Buffer.concat(this.received, this.receivedBytes);
      const rest = data.subarray(frameBytes);
      this.received = rest.length > 0 ? [rest] : [];
      this.receivedBytes = rest.length;
      this.deliver(data.subarray(4, frameBytes), noRelease);
    }
  }

  /** Whether the next frame (which spans chunks) answers a leased request and there is a pool for it. */
  private joinsIntoPool(): boolean {
    const first = this.received[0];
    return this.options.framePool !== undefined && first.length >= 8 && this.inFlight.get(first.readInt32BE(4))?.leased === true;
  }

  /** Moves the next frame (frameBytes, spanning chunks) into pooled memory and delivers it. */
  private deliverPooled(frameBytes: number): void {
    const pool = this.options.framePool!;
    const frame = pool.take(frameBytes);
    moveChunkBytes(this.received, frame);
    this.receivedBytes -= frameBytes;
    this.deliver(frame.subarray(4), () => pool.give(frame));
  }

  /** Resolves the request `payload` answers; `release` frees the payload's memory (called here unless a leased request gets it). */
  private deliver(payload: Buffer, release: () => void): void {
    const correlationId = payload.readInt32BE(0);
    const request = this.inFlight.get(correlationId);
    if (!request) return release(); // timed out already
    this.inFlight.delete(correlationId);
    clearTimeout(request.timer);
    let body;
    try {
      body = decodeResponse(request.apiKey, request.apiVersion, payload).body;
    } catch (err) {
      release();
      return request.reject(new ClientError(`cannot decode the answer of ${this.address} to API ${request.apiKey}: ${(err as Error).message}`));
    }
    if (request.leased) return request.resolve({ body, release: once(release) });
    release();
    request.resolve(body);
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const request of this.inFlight.values()) {
      clearTimeout(request.timer);
      request.reject(err);
    }
    this.inFlight.clear();
  }

  close(): void {
    this.fail(new ClientError(`connection to ${this.address} closed by the client`));
    this.socket?.destroy();
  }
}

/** `fn` made safe to call more than once: only the first call runs it. */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/**
 * Writes a frame's pieces corked, so they leave in one writev; `done` runs
 * once the socket has finished with the last piece. False when the socket
 * asks its writer to wait for 'drain'. (The broker's connections use it too.)
 */
export function writeCorked(socket: net.Socket, pieces: Buffer[], done?: (err?: Error | null) => void): boolean {
  socket.cork();
  let flowing = true;
  pieces.forEach((piece, i) => (flowing = socket.write(piece, i === pieces.length - 1 ? done : undefined)));
  socket.uncork();
  return flowing;
}
