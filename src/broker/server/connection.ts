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
 *   order. Any other request waits until everything before it is
 *   answered. At most `maxQueuedFrames` complete frames, or
 *   `connectionQueuedBytesMax` (src/limits.ts) bytes of them, wait; beyond
 *   that the socket stops being read until the queue drains.
 * - `receive(bytes)` takes what the socket read (a view of a shared read
 *   buffer, valid only during the call); frames are copied out of it by a
 *   FrameAssembler. A Produce frame of 64 KB or more is copied into a
 *   buffer of the shared BufferPool, which takes it back once the response
 *   is handed to the socket (or the request failed): the Produce handler
 *   must not keep request bytes past its return. Other frames get fresh
 *   buffers (handlers may keep their bytes). A frame whose memory cannot be
 *   allocated closes the connection.
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
import { BufferLease, minCapacityBytes, type Allocate, type BufferPool } from './buffer-pool.ts';
import { writeCorked } from '../../client/connection.ts';
import { FrameAssembler } from '../../protocol/frame-assembler.ts';
import { connectionQueuedBytesMax, producePipelineMax } from '../../limits.ts';

/** Thrown by a dispatcher for a request that must close the connection. */
export class RequestRejected extends Error {
  override name = 'RequestRejected';
}

/** `allocate` gives memory that stays valid until the response is written. */
export type Dispatch = (payload: Buffer, connection: ConnectionInfo, allocate: Allocate) => Promise<Buffer | Buffer[] | null>;

export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  /** Aborted once the connection is closed, by either side: no answer can reach the client any more. */
  readonly gone: AbortSignal;
}

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxQueuedFrames: number;
  idleTimeoutMs: number;
}

/** The smallest valid request payload: apiKey, apiVersion, correlationId, clientId length. */
const minRequestBytes = 10;
const produceApiKey = 0;
/** A request's bytes read before its memory is chosen: the API key. */
const apiKeyBytes = 2;

export class Connection implements ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  private readonly socket: Socket;
  private readonly dispatch: Dispatch;
  private readonly limits: ConnectionLimits;
  private readonly logger: Logger;
  private readonly pool: BufferPool;
  private readonly assembler: FrameAssembler;
  private readonly frames: Buffer[] = [];
  /** Bytes of the frames in `frames`. */
  private queuedBytes = 0;
  /** The queued frames that are pooled buffers, to give back once answered. */
  private readonly pooledFrames = new WeakSet<Buffer>();
  private processing = false;
  private readonly closing = new AbortController();
  readonly gone = this.closing.signal;
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
    this.assembler = new FrameAssembler(
      { peekBytes: apiKeyBytes, minPayloadBytes: minRequestBytes, maxPayloadBytes: limits.maxFrameBytes },
      {
        allocate: (size, apiKey) => this.allocateFrame(size, apiKey.readInt16BE(0)),
        deliver: (frame) => {
          this.frames.push(frame);
          this.queuedBytes += frame.length;
        },
        refuse: (size) => this.close(`frame length ${size} outside ${minRequestBytes}..${limits.maxFrameBytes}`),
      },
    );
    socket.on('error', () => this.close('', false));
    socket.on('close', () => this.closing.abort());
  }

  /** Closes the socket; `reason` is logged when `log` is set. */
  close(reason: string, log = true): void {
    if (this.closed) return;
    this.closing.abort();
    if (log) this.logger.warn(`closing connection ${this.id} from ${this.remote}: ${reason}`);
    this.socket.destroy();
  }

  private get closed(): boolean {
    return this.gone.aborted;
  }

  /** Takes bytes the socket read (valid only during the call); see the contract. */
  receive(bytes: Buffer): void {
    if (this.closed) return;
    try {
      this.assembler.push(bytes);
    } catch (err) {
      this.close(`cannot take a request in: ${(err as Error).message}`);
      return;
    }
    if (this.queueFull) this.socket.pause();
    void this.processFrames();
  }

  private get queueFull(): boolean {
    return this.frames.length >= this.limits.maxQueuedFrames || this.queuedBytes >= connectionQueuedBytesMax;
  }

  /** A Produce request's memory comes from the pool (given back once answered) unless it is too small to be worth it; any other's is fresh. */
  private allocateFrame(size: number, apiKey: number): Buffer {
    if (apiKey !== produceApiKey || size < minCapacityBytes) return Buffer.allocUnsafe(size);
    const frame = this.pool.take(size);
    this.pooledFrames.add(frame);
    return frame;
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
        this.queuedBytes -= frame.length;
        if (!this.queueFull) this.socket.resume();
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
