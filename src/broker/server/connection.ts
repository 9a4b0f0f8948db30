/**
 * One client connection: Kafka framing (int32 big-endian length, then that
 * many bytes), strictly ordered request processing, and backpressure.
 *
 * Contract:
 * - A frame length below the minimum header size or above `maxFrameBytes`
 *   (`socket.request.max.bytes`) closes the connection before anything is
 *   allocated for it.
 * - Requests are handled one at a time in arrival order, so responses leave
 *   in request order (clients such as kafka-python pipeline requests). At most
 *   `maxQueuedFrames` complete frames wait; beyond that the socket stops
 *   being read until the queue drains.
 * - `dispatch` returns the encoded response frame, or null for no response
 *   (acks=0 produce). It throws RequestRejected when the request cannot be
 *   answered (malformed); the connection then closes and the reason is
 *   logged once.
 * - A socket whose writes are not being consumed pauses request handling
 *   until it drains; a connection idle for `idleTimeoutMs` is closed.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../logger.ts';

/** Thrown by a dispatcher for a request that must close the connection. */
export class RequestRejected extends Error {
  override name = 'RequestRejected';
}

export type Dispatch = (payload: Buffer, connection: ConnectionInfo) => Promise<Buffer | null>;

export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
}

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxQueuedFrames: number;
  idleTimeoutMs: number;
}

/** The smallest valid request payload: apiKey, apiVersion, correlationId, clientId length. */
const minRequestBytes = 10;
const lengthPrefixBytes = 4;

export class Connection implements ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  private readonly socket: Socket;
  private readonly dispatch: Dispatch;
  private readonly limits: ConnectionLimits;
  private readonly logger: Logger;
  private readonly frames: Buffer[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private nextFrameBytes = -1;
  private processing = false;
  private closed = false;

  constructor(id: number, socket: Socket, dispatch: Dispatch, limits: ConnectionLimits, logger: Logger) {
    this.id = id;
    this.socket = socket;
    this.dispatch = dispatch;
    this.limits = limits;
    this.logger = logger;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleTimeoutMs, () => this.close(`idle for ${limits.idleTimeoutMs} ms`, false));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.close('', false));
    socket.on('close', () => (this.closed = true));
  }

  /** Closes the socket; `reason` is logged when `log` is set. */
  close(reason: string, log = true): void {
    if (this.closed) return;
    this.closed = true;
    if (log) this.logger.warn(`closing connection ${this.id} from ${this.remote}: ${reason}`);
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (!this.closed) {
      if (this.nextFrameBytes < 0) {
        if (this.pendingBytes < lengthPrefixBytes) break;
        const size = this.take(lengthPrefixBytes).readInt32BE(0);
        if (size < minRequestBytes || size > this.limits.maxFrameBytes) {
          this.close(`frame length ${size} outside ${minRequestBytes}..${this.limits.maxFrameBytes}`);
          return;
        }
        this.nextFrameBytes = size;
      }
      if (this.pendingBytes < this.nextFrameBytes) break;
      this.frames.push(this.take(this.nextFrameBytes));
      this.nextFrameBytes = -1;
    }
    if (this.frames.length >= this.limits.maxQueuedFrames) this.socket.pause();
    void this.processFrames();
  }

  /** Removes and returns the first `n` pending bytes (n <= pendingBytes). */
  private take(n: number): Buffer {
    const first = this.pending[0];
    if (first.length === n) {
      this.pending.shift();
    } else if (first.length > n) {
      this.pending[0] = first.subarray(n);
      this.pendingBytes -= n;
      return first.subarray(0, n);
    } else {
      const joined = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = joined.length > n ? [joined.subarray(n)] : [];
      this.pendingBytes -= n;
      return joined.subarray(0, n);
    }
    this.pendingBytes -= n;
    return first;
  }

  private async processFrames(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (!this.closed && this.frames.length > 0) {
        const frame = this.frames.shift()!;
        if (this.frames.length < this.limits.maxQueuedFrames) this.socket.resume();
        const response = await this.dispatch(frame, this);
        if (response === null || this.closed) continue;
        if (!this.socket.write(response)) await this.drained();
      }
    } catch (err) {
      this.close(err instanceof RequestRejected ? err.message : `internal error: ${(err as Error).stack ?? err}`);
    } finally {
      this.processing = false;
    }
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }
}
