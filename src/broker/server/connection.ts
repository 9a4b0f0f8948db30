/**
 * One client connection: Kafka framing (int32 big-endian length, then that
 * many bytes), strictly ordered request processing, and backpressure.
 *
 * Contract:
 * - A frame length below the minimum header size or above `maxFrameBytes`
 *   (`socket.request.max.bytes`) closes the connection before anything is
 *   allocated for it.
 * - Requests are handled one at a time in arrival order, so responses leave
 *   in request order (clients such as kafka-python pipeline requests). The
 *   one overlap: a Produce request may start while up to
 *   `producePipelineMax` earlier Produce requests still wait for their
 *   appends, since dispatch hands a batch to its partition (which keeps
 *   call order) before its first await; their responses still leave in
 *   order. Any other request waits until everything before it is answered. At most
 *   `maxQueuedFrames` complete frames wait; beyond that the socket stops
 *   being read until the queue drains.
 * - A Produce frame that spans several socket chunks is joined into a
 *   buffer of the shared BufferPool, which takes it back once the response
 *   is handed to the socket (or the request failed): the Produce handler
 *   must not keep request bytes past its return. Other frames are joined
 *   into fresh buffers (handlers may keep their bytes); a frame within one
 *   chunk is a view of it.
 * - `dispatch` gets a BufferLease of the shared pool for memory its
 *   response refers to (fetched batches); the lease is released only once
 *   the socket has finished writing the response (its write callback,
 *   success or error), or at once when nothing is written.
 * - `dispatch` returns the encoded response frame (or its pieces, written
 *   together with one writev), or null for no response
 *   (acks=0 produce). It throws RequestRejected when the request cannot be
 *   answered (malformed); the connection then closes and the reason is
 *   logged once.
 * - A socket whose writes are not being consumed pauses request handling
 *   until it drains; a connection idle for `idleTimeoutMs` is closed.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../logger.ts';
import { BufferLease, type Allocate, type BufferPool } from './buffer-pool.ts';
import { writeCorked } from '../../client/connection.ts';

/** Thrown by a dispatcher for a request that must close the connection. */
export class RequestRejected extends Error {
  override name = 'RequestRejected';
}

/** `allocate` gives memory that stays valid until the response is written. */
export type Dispatch = (payload: Buffer, connection: ConnectionInfo, allocate: Allocate) => Promise<Buffer | Buffer[] | null>;

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
const produceApiKey = 0;
/** Produce requests of one connection in flight at once (a librdkafka producer sends many back to back). */
export const producePipelineMax = 16;

export class Connection implements ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  private readonly socket: Socket;
  private readonly dispatch: Dispatch;
  private readonly limits: ConnectionLimits;
  private readonly logger: Logger;
  private readonly pool: BufferPool;
  private readonly frames: Buffer[] = [];
  /** The queued frames that are pooled buffers, to give back once answered. */
  private readonly pooledFrames = new WeakSet<Buffer>();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private nextFrameBytes = -1;
  private processing = false;
  private closed = false;
  /** Requests dispatched and not yet answered, oldest first: each settles once its response is written. */
  private readonly inFlight: Promise<void>[] = [];
  private inFlightProduce = false;

  constructor(id: number, socket: Socket, dispatch: Dispatch, limits: ConnectionLimits, pool: BufferPool, logger: Logger) {
    this.id = id;
    this.pool = pool;
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
      this.frames.push(this.takeFrame(this.nextFrameBytes));
      this.nextFrameBytes = -1;
    }
    if (this.frames.length >= this.limits.maxQueuedFrames) this.socket.pause();
    void this.processFrames();
  }

  /** Removes and returns the next frame of `n` bytes (n <= pendingBytes), joined into a pooled buffer when it is a Produce request that spans chunks. */
  private takeFrame(n: number): Buffer {
    if (this.pending[0].length >= n || this.peekInt16() !== produceApiKey) return this.take(n);
    const frame = this.pool.take(n);
    for (let at = 0; at < n; ) {
      const chunk = this.pending[0];
      const copied = chunk.copy(frame, at, 0, n - at);
      at += copied;
      if (copied === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(copied);
    }
    this.pendingBytes -= n;
    this.pooledFrames.add(frame);
    return frame;
  }

  /** The first two pending bytes (at least two are pending) as a big-endian int16: a request's API key. */
  private peekInt16(): number {
    const first = this.pending[0];
    return first.length >= 2 ? first.readInt16BE(0) : (((first[0] << 8) | this.pending[1][0]) << 16) >> 16;
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
        const produce = this.frames[0].readInt16BE(0) === produceApiKey;
        while (this.inFlight.length > 0 && (!produce || !this.inFlightProduce || this.inFlight.length >= producePipelineMax)) await this.inFlight[0];
        if (this.closed) break;
        const frame = this.frames.shift()!;
        if (this.frames.length < this.limits.maxQueuedFrames) this.socket.resume();
        this.inFlightProduce = produce;
        const lease = new BufferLease(this.pool);
        const answered = this.answer(this.dispatch(frame, this, lease.take), this.inFlight.at(-1), lease);
        if (this.pooledFrames.has(frame)) void answered.then(() => this.pool.give(frame));
        this.inFlight.push(answered);
        void answered.then(() => this.inFlight.shift());
      }
    } finally {
      this.processing = false;
    }
  }

  /**
   * Writes the response once the ones before it are written, then releases
   * `lease` when the socket is done with the bytes; a dispatch failure
   * closes the connection.
   */
  private async answer(dispatched: Promise<Buffer | Buffer[] | null>, previous: Promise<void> | undefined, lease: BufferLease): Promise<void> {
    let written = false;
    try {
      const response = await dispatched;
      await previous;
      if (response === null || this.closed) return;
      written = true;
      if (!writeCorked(this.socket, Array.isArray(response) ? response : [response], () => lease.release())) await this.drained();
    } catch (err) {
      this.close(err instanceof RequestRejected ? err.message : `internal error: ${(err as Error).stack ?? err}`);
    } finally {
      if (!written) lease.release();
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
