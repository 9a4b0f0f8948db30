/**
 * One client connection: Kafka framing (int32 big-endian length, then that
 * many bytes), strictly ordered request processing, and backpressure.
 *
 * Contract:
 * - A frame length below the minimum header size or above `maxFrameBytes`
 *   (`socket.request.max.bytes`) closes the connection before anything is
 *   allocated for it (the log says when those bytes were a TLS handshake). Until a first request has been answered, a frame
 *   larger than `firstFrameBytesMax` whose header names no API version
 *   the broker serves (`servesApi`) closes the connection too (as Kafka
 *   bounds frames before authentication, CVE-2022-34917, and parses only
 *   the request types it expects then): a peer that does not speak Kafka
 *   cannot make the broker wait for a large frame, while a client that
 *   skips ApiVersions (kafka-python with api_version set) can still open
 *   with a large Produce.
 * - A frame's memory grows as its bytes arrive (FrameAssembler), so a size
 *   alone costs nothing. Every byte of it counts into the listener's
 *   RequestMemory (`queued.max.request.bytes`) from its arrival until its
 *   request is answered (or the connection closes); while that is full a
 *   connection holding `smallRequestBytes` or more stops reading (small
 *   requests, other clients' included, are still read and served). A
 *   frame not finished within `idleTimeoutMs` (`connections.max.idle.ms`)
 *   of its first bytes closes the connection, paused or not: a client
 *   trickling a frame, or holding the budget with one, holds its memory
 *   only that long.
 * - Requests are handled one at a time in arrival order, so responses leave
 *   in request order (clients such as kafka-python pipeline requests). The
 *   one overlap: a Produce request may start while up to
 *   `producePipelineMax` earlier Produce requests still wait for their
 *   appends, since dispatch hands a batch to its partition (which keeps
 *   call order) before its first await; their responses still leave in
 *   order. Any other request waits until everything before it is
 *   answered. At most `maxQueuedFrames` complete frames, or
 *   `connectionQueuedBytesMax` (src/limits.ts) bytes of them, wait; beyond that the socket stops
 *   being read until the queue drains. Answering waits for the socket to
 *   drain, so unsent responses are bounded too: a client that does not
 *   read holds at most one response (plus the pipelined Produce ones), and
 *   its next requests wait in the queue, then in its socket.
 * - `receive(bytes)` takes what the socket read (a view of a shared read
 *   buffer, valid only during the call); frames are copied out of it by a
 *   FrameAssembler. A Produce frame of 64 KB or more is copied into
 *   buffers of the shared BufferPool, which takes it back once the response
 *   is handed to the socket (or the request failed): the Produce handler
 *   must not keep request bytes past its return. Other frames get fresh
 *   buffers (handlers may keep their bytes). A frame whose memory cannot be
 *   allocated closes the connection.
 * - `dispatch` gets a BufferLease of the shared pool for memory its
 *   response refers to (fetched batches), counted into the broker's
 *   `responseMemory`; the lease is released only once
 *   the socket has finished writing the response (its write callback,
 *   success or error), or at once when nothing is written.
 * - `dispatch` returns the encoded response frame (or its pieces, written
 *   together with one writev), or null for no response
 *   (acks=0 produce). It throws RequestRejected when the request cannot be
 *   answered (malformed); the connection then closes and the reason is
 *   logged once.
 * - `throttle(ms)` (a client quota's delay, the dispatcher's call) mutes
 *   the connection as Kafka does: for that long nothing more is read from
 *   the socket nor handled (requests already dispatched finish; a mute
 *   set while a request is being dispatched keeps the pipelined Produce
 *   requests behind it from starting); nothing is dropped, and the client
 *   backs off by the response's throttle time.
 * - A socket whose writes are not being consumed pauses request handling
 *   until it drains; a connection idle for `idleTimeoutMs` is closed.
 * - Authentication: each connection has a SaslSession offering the
 *   listener's mechanisms (`authentication`; none by default), which
 *   SaslHandshake/SaslAuthenticate drive; a failed exchange closes the
 *   connection once its answer is written, and is logged through
 *   `logFailure` (rate-limited by the listener). Failures count against
 *   the client's address in `failures`, which refuses its attempts
 *   unread while it has failed too often. Where authentication is
 *   `required` (a peer listener, a SASL listener), until the session has
 *   authenticated: every frame larger than `firstFrameBytesMax` closes the
 *   connection, so does any request but ApiVersions, SaslHandshake and
 *   SaslAuthenticate (unanswered, before dispatch), requests are handled
 *   one at a time (no Produce overlap), and the connection is closed
 *   `timeoutMs` after it was accepted. After a v0 SaslHandshake the
 *   mechanism's messages come as bare frames (raw tokens, as Kafka frames
 *   them for old clients): each is handed to the session, its answer
 *   written back as a length and the bytes; a refused one is answered
 *   with the failure message as a token (Kafka answers nothing, but
 *   kafka-python reads any answer to PLAIN but an empty one as a failed
 *   login, and a closed connection as one to retry), then closed.
 * - Where logins have a lifetime (`sessionLifetimeMs`), a request other
 *   than SaslHandshake and SaslAuthenticate once the session has expired
 *   closes the connection, unanswered (KIP-368: a client that does not
 *   re-authenticate in time reconnects).
 * - `principal`: the SASL user once authenticated (`User:<name>`), else
 *   what the listener set from a TLS client certificate
 *   (`certificatePrincipal`), else `User:ANONYMOUS`.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../logger.ts';
import { BufferLease, minCapacityBytes, type Allocate, type BufferPool } from './buffer-pool.ts';
import { writeCorked } from '../../net/corked-write.ts';
import { FrameAssembler } from '../../protocol/frame-assembler.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import type { RequestMemory } from './request-memory.ts';
import { SaslSession, type SaslMechanism } from './sasl-session.ts';
import { connectionQueuedBytesMax, producePipelineMax } from '../../limits.ts';
import { anonymousPrincipal, userPrincipal } from '../auth/principal.ts';
import type { AuthFailures } from './auth-failures.ts';
import { ErrorCode } from '../../protocol/errors.ts';

/** Thrown by a dispatcher for a request that must close the connection. */
export class RequestRejected extends Error {
  override name = 'RequestRejected';
  /** Whether the dispatcher has logged it already (rate-limited), so closing says nothing more. */
  readonly logged: boolean;
  constructor(message: string, logged = false) {
    super(message);
    this.logged = logged;
  }
}

/** `allocate` gives memory that stays valid until the response is written. */
export type Dispatch = (payload: Buffer, connection: ConnectionInfo, allocate: Allocate) => Promise<Buffer | Buffer[] | null>;

export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  /** The connection's authentication state (the node it authenticated as: `sasl.peer`; the user: `sasl.user`). */
  readonly sasl: SaslSession;
  /** Aborted once the connection is closed, by either side: no answer can reach the client any more. */
  readonly gone: AbortSignal;
  /** Who the client authenticated as (`User:<name>`; `User:ANONYMOUS` until it does). */
  readonly principal: string;
  /** Mutes the connection for `ms` (a quota's throttle): nothing more is read or handled until then. */
  throttle(ms: number): void;
}

export interface ConnectionLimits {
  maxFrameBytes: number;
  /** Until a first request has been answered, a larger frame must name an API version the broker serves (`sasl.server.max.receive.size`). */
  firstFrameBytesMax: number;
  /** Whether the broker serves this API key at this version. */
  servesApi(apiKey: number, apiVersion: number): boolean;
  maxQueuedFrames: number;
  idleTimeoutMs: number;
  /** The broker's budget for memory responses refer to until written (`queued.max.response.bytes`). */
  responseMemory: RequestMemory;
  /** The SASL mechanisms offered and whether authentication is required; none offered by default. */
  authentication?: ConnectionAuthentication;
}

export interface ConnectionAuthentication {
  mechanisms: readonly SaslMechanism[];
  /** A peer listener: see the contract. */
  required: boolean;
  /** How long a connection may stay unauthenticated where authentication is required. */
  timeoutMs: number;
  /** Where failed authentications are logged (rate-limited: anyone can fail at will). */
  logFailure: (message: string) => void;
  /** Failed authentications by address (the listener's); none: not limited. */
  failures?: AuthFailures;
  /** How long a login lasts before the client must re-authenticate (`connections.max.reauth.ms`); none: for ever. */
  sessionLifetimeMs?: number;
}

/** What a connection that must authenticate may ask before it has. */
const beforeAuthentication: ReadonlySet<number> = new Set([ApiKeys.ApiVersions, ApiKeys.SaslHandshake, ApiKeys.SaslAuthenticate]);

/** The smallest valid request payload: apiKey, apiVersion, correlationId, clientId length. */
const minRequestBytes = 10;
/** A request's bytes read before its memory is chosen: the API key and version. */
const headerPeekBytes = 4;
/** A connection holding less request memory than this reads on while RequestMemory is full: small requests are served while large frames wait. */
export const smallRequestBytes = minCapacityBytes;

/** A raw SASL token as it travels after a v0 SaslHandshake: its length, then its bytes. */
function rawToken(bytes: Buffer): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeInt32BE(bytes.length);
  return [length, bytes];
}

/** Whether a frame length is the start of a TLS handshake record (0x16 0x03): a TLS client on a plaintext listener. */
function startsTlsHandshake(frameLength: number): boolean {
  return frameLength >>> 16 === 0x1603;
}

export class Connection implements ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  readonly sasl: SaslSession;
  /** Whether requests other than ApiVersions and SASL need an authenticated session. */
  private readonly authenticationRequired: boolean;
  private readonly socket: Socket;
  private readonly dispatch: Dispatch;
  private readonly limits: ConnectionLimits;
  private readonly logger: Logger;
  private readonly pool: BufferPool;
  private readonly memory: RequestMemory;
  private readonly assembler: FrameAssembler;
  /** Request memory this connection holds: its partial frame, queued frames and frames being handled. */
  private heldBytes = 0;
  /** Memory taken for the frame being read. */
  private partialBytes = 0;
  /** Closes the connection when the frame being read takes too long. */
  private frameTimer: NodeJS.Timeout | null = null;
  /** Cancels the wait for request memory, while waiting. */
  private cancelMemoryWait: (() => void) | null = null;
  /** Set once a first request has been answered: frames need not name an API version served to be large. */
  private proven = false;
  private readonly frames: Buffer[] = [];
  /** Bytes of the frames in `frames`. */
  private queuedBytes = 0;
  /** The queued frames that are pooled buffers, to give back once answered. */
  private readonly pooledFrames = new WeakSet<Buffer>();
  private processing = false;
  private readonly closing = new AbortController();
  readonly gone = this.closing.signal;
  /** Set by the listener once the client has authenticated with a TLS client certificate; before any request is read. */
  certificatePrincipal = anonymousPrincipal;
  /** Ends the mute a quota's throttle put on the connection; null when not muted. */
  private muteTimer: NodeJS.Timeout | null = null;
  /** performance.now() at which the mute ends. */
  private mutedUntil = 0;
  /** Requests dispatched and not yet answered, oldest first: each settles once its response is written. */
  private readonly inFlight: Promise<void>[] = [];
  private inFlightProduce = false;
  /** Why the connection closes once the answer being prepared is written (a failed authentication). */
  private closeAfterAnswer: string | null = null;
  /** Closes a connection still unauthenticated where authentication is required. */
  private authenticationTimer: NodeJS.Timeout | null = null;

  constructor(id: number, socket: Socket, dispatch: Dispatch, limits: ConnectionLimits, pool: BufferPool, memory: RequestMemory, logger: Logger) {
    this.id = id;
    this.pool = pool;
    this.memory = memory;
    this.socket = socket;
    this.dispatch = dispatch;
    this.limits = limits;
    this.logger = logger;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleTimeoutMs, () => this.close(`idle for ${limits.idleTimeoutMs} ms`, false));
    const authentication = limits.authentication;
    this.authenticationRequired = authentication?.required ?? false;
    const ip = socket.remoteAddress ?? '';
    const failures = authentication?.failures;
    this.sasl = new SaslSession(authentication?.mechanisms ?? [], {
      onFailure: (reason) => (this.closeAfterAnswer ??= reason),
      admit: () => failures?.refusal(ip) ?? null,
      onRefused: () => failures?.failed(ip),
      lifetimeMs: authentication?.sessionLifetimeMs,
    });
    if (authentication?.required) {
      this.authenticationTimer = setTimeout(() => this.failAuthentication(`not authenticated within ${authentication.timeoutMs} ms`), authentication.timeoutMs);
    }
    this.assembler = new FrameAssembler(
      {
        peekBytes: headerPeekBytes,
        minPayloadBytes: minRequestBytes,
        maxPayloadBytes: limits.maxFrameBytes,
        initialPayloadBytes: minCapacityBytes,
      },
      {
        admit: (size, header) => this.admitFrame(size, header.readInt16BE(0), header.readInt16BE(2)),
        allocate: (size, header) => this.allocateFrame(size, header.readInt16BE(0)),
        discard: (memory) => {
          this.partialBytes -= memory.length;
          this.freeFrame(memory);
        },
        deliver: (frame) => {
          this.partialBytes = 0;
          this.stopFrameTimer();
          this.frames.push(frame);
          this.queuedBytes += frame.length;
        },
        refuse: (size) => this.close(`frame length ${size} outside ${minRequestBytes}..${limits.maxFrameBytes}${startsTlsHandshake(size) ? ' (a TLS handshake: this listener is PLAINTEXT)' : ''}`),
      },
    );
    socket.on('error', () => this.close('', false));
    socket.on('close', () => this.onSocketClosed());
  }

  /** Closes the socket; `reason` is logged when `log` is set. */
  close(reason: string, log = true): void {
    if (this.closed) return;
    this.closing.abort();
    if (log) this.logger.warn(`closing connection ${this.id} from ${this.remote}: ${reason}`);
    this.socket.destroy();
  }

  /** Closes the connection for a failed (or missing) authentication, logged through the rate-limited `logFailure`. */
  private failAuthentication(reason: string): void {
    if (this.closed) return;
    this.limits.authentication?.logFailure(`closing connection ${this.id} from ${this.remote}: ${reason}`);
    this.close(reason, false);
  }

  get principal(): string {
    return this.sasl.user !== null ? userPrincipal(this.sasl.user) : this.certificatePrincipal;
  }

  /** Whether requests other than ApiVersions and SASL are refused until the session authenticates. */
  private get awaitingAuthentication(): boolean {
    return this.authenticationRequired && !this.sasl.authenticated;
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
    if (this.closed) return;
    if (this.assembler.inFrame) this.frameTimer ??= setTimeout(() => this.frameTimedOut(), this.limits.idleTimeoutMs);
    this.readOn();
    void this.processFrames();
  }

  private get queueFull(): boolean {
    return this.frames.length >= this.limits.maxQueuedFrames || this.queuedBytes >= connectionQueuedBytesMax;
  }

  /** See ConnectionInfo.throttle: reading and handling resume once the mute ends (a longer throttle extends it). */
  throttle(ms: number): void {
    if (this.closed || ms <= 0) return;
    const until = performance.now() + ms;
    if (until <= this.mutedUntil) return;
    this.mutedUntil = until;
    if (this.muteTimer) clearTimeout(this.muteTimer);
    this.muteTimer = setTimeout(() => {
      this.muteTimer = null;
      this.readOn();
      void this.processFrames();
    }, ms);
    this.socket.pause();
  }

  /** Reads the socket unless muted, or the queue or the request memory is full (then reading resumes once they have room). */
  private readOn(): void {
    if (this.closed) return;
    if (this.muteTimer) return void this.socket.pause(); // the mute's end resumes
    if (this.queueFull) return void this.socket.pause(); // processFrames resumes
    if (this.memory.full && this.heldBytes >= smallRequestBytes) {
      this.socket.pause();
      this.cancelMemoryWait ??= this.memory.whenFree(() => {
        this.cancelMemoryWait = null;
        this.readOn();
      });
      return;
    }
    this.socket.resume();
  }

  private frameTimedOut(): void {
    this.frameTimer = null;
    this.close(`a request frame was not finished within ${this.limits.idleTimeoutMs} ms (connections.max.idle.ms)`);
  }

  private stopFrameTimer(): void {
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = null;
  }

  /** Refuses (closing the connection) a large frame before a first answer unless it names an API version served: see the contract. */
  private admitFrame(size: number, apiKey: number, apiVersion: number): boolean {
    if (this.awaitingAuthentication && size > this.limits.firstFrameBytesMax) {
      this.failAuthentication(`a frame of ${size} bytes before authentication, over ${this.limits.firstFrameBytesMax} (sasl.server.max.receive.size)`);
      return false;
    }
    if (this.proven || size <= this.limits.firstFrameBytesMax || this.limits.servesApi(apiKey, apiVersion)) return true;
    this.close(`a first frame of ${size} bytes, over ${this.limits.firstFrameBytesMax} (sasl.server.max.receive.size), names no API served (key ${apiKey} v${apiVersion})`);
    return false;
  }

  /** Memory for a frame, as it grows: a Produce request's comes from the pool (given back once answered) unless it is too small to be worth it; any other's is fresh. */
  private allocateFrame(size: number, apiKey: number): Buffer {
    this.memory.take(size);
    this.heldBytes += size;
    this.partialBytes += size;
    if (apiKey !== ApiKeys.Produce || size < minCapacityBytes) return Buffer.allocUnsafe(size);
    const frame = this.pool.take(size);
    this.pooledFrames.add(frame);
    return frame;
  }

  /** Gives a frame's memory back: to the budget, and to the pool if it came from there. */
  private freeFrame(frame: Buffer): void {
    this.heldBytes -= frame.length;
    this.memory.give(frame.length);
    if (this.pooledFrames.has(frame)) this.pool.give(frame);
  }

  /** The socket closed: what it still held (the frame being read, the frames not handled) goes back to the budget. */
  private onSocketClosed(): void {
    this.closing.abort();
    this.stopFrameTimer();
    if (this.muteTimer) clearTimeout(this.muteTimer);
    this.muteTimer = null;
    if (this.authenticationTimer) clearTimeout(this.authenticationTimer);
    this.cancelMemoryWait?.();
    this.cancelMemoryWait = null;
    this.heldBytes -= this.partialBytes + this.queuedBytes;
    this.memory.give(this.partialBytes + this.queuedBytes);
    this.partialBytes = 0;
    this.queuedBytes = 0;
    this.frames.length = 0;
  }

  private async processFrames(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (!this.closed && !this.muteTimer && this.frames.length > 0) {
        // Until authenticated, what a frame is (a raw token, a request allowed) depends on the answers before it.
        while (this.awaitingAuthentication && this.inFlight.length > 0) await this.inFlight[0];
        if (this.closed || this.muteTimer) break;
        if (this.sasl.rawTokens) {
          this.answerRawToken(this.frames.shift()!);
          continue;
        }
        const apiKey = this.frames[0].readInt16BE(0);
        const produce = apiKey === ApiKeys.Produce;
        while (this.inFlight.length > 0 && (!produce || !this.inFlightProduce || this.inFlight.length >= producePipelineMax)) await this.inFlight[0];
        if (this.closed || this.muteTimer) break;
        if (this.awaitingAuthentication && !beforeAuthentication.has(apiKey)) {
          this.failAuthentication(`API ${apiKey} before authentication (only ApiVersions and SASL are served until then)`);
          break;
        }
        if (this.sasl.expired && apiKey !== ApiKeys.SaslHandshake && apiKey !== ApiKeys.SaslAuthenticate) {
          this.failAuthentication(`API ${apiKey} after the session expired (connections.max.reauth.ms): the client did not re-authenticate`);
          break;
        }
        const frame = this.frames.shift()!;
        this.queuedBytes -= frame.length;
        this.readOn();
        this.inFlightProduce = produce;
        const lease = new BufferLease(this.pool, this.limits.responseMemory);
        const answered = this.answer(this.dispatch(frame, this, lease.take), this.inFlight.at(-1), lease);
        void answered.then(() => this.freeFrame(frame));
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
      this.proven = true;
      if (this.sasl.authenticated && this.authenticationTimer) clearTimeout(this.authenticationTimer);
      await previous;
      if (response === null || this.closed) return;
      written = true;
      const chunks = Array.isArray(response) ? response : [response];
      if (this.closeAfterAnswer !== null) return this.endAfter(chunks, this.closeAfterAnswer, lease);
      if (!writeCorked(this.socket, chunks, () => lease.release())) await this.drained();
    } catch (err) {
      if (err instanceof RequestRejected) this.close(err.message, !err.logged);
      else this.close(`internal error: ${(err as Error).stack ?? err}`);
    } finally {
      if (!written) lease.release();
    }
  }

  /** Hands a raw token (after a v0 SaslHandshake) to the session and writes its answer back, as an in-flight request. */
  private answerRawToken(frame: Buffer): void {
    this.queuedBytes -= frame.length;
    this.readOn();
    const answered = (async () => {
      try {
        const answer = await this.sasl.authenticate(frame);
        if (this.closed) return;
        if (answer.errorCode !== ErrorCode.NONE) return this.endAfter(rawToken(Buffer.from(answer.errorMessage ?? '')), this.closeAfterAnswer ?? 'authentication failed');
        if (this.sasl.authenticated && this.authenticationTimer) clearTimeout(this.authenticationTimer);
        if (!writeCorked(this.socket, rawToken(answer.authBytes), () => {})) await this.drained();
      } catch (err) {
        this.close(`internal error: ${(err as Error).stack ?? err}`);
      } finally {
        this.freeFrame(frame);
      }
    })();
    this.inFlight.push(answered);
    void answered.then(() => this.inFlight.shift());
  }

  /** Writes the last answer, then closes: the client reads why it was refused before the connection goes. */
  private endAfter(chunks: Buffer[], reason: string, lease?: BufferLease): void {
    this.limits.authentication?.logFailure(`closing connection ${this.id} from ${this.remote}: ${reason}`);
    this.closing.abort();
    writeCorked(this.socket, chunks, () => lease?.release());
    this.socket.end(() => this.socket.destroy());
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
