/**
 * Cuts a byte stream into Kafka frames (an int32 size, then that many
 * payload bytes) and copies each payload into memory of its own. Both ends
 * of a connection use it: the broker for requests (memory grows as a
 * frame's bytes arrive, so a size prefix alone costs nothing), the client
 * for responses (memory allocated once at its final size).
 *
 * Contract:
 * - `push(bytes)` takes the next bytes of the stream. They may be a view of
 *   a read buffer the caller reuses: whatever is kept is copied before
 *   `push` returns.
 * - A size outside minPayloadBytes..maxPayloadBytes is refused as soon as
 *   its four bytes are in, before anything is allocated: `refuse(size)` is
 *   called once and every later byte is ignored.
 * - Otherwise, once the size and the payload's first `peekBytes` bytes (a
 *   request's API key, a response's correlation id) are in,
 *   `allocate(bytes, peek)` returns memory for the payload (exactly `bytes`
 *   long: a fresh buffer or pooled memory, the owner's choice): the whole
 *   payload when it is at most `initialPayloadBytes` long, else that many
 *   bytes, doubled (by a new `allocate`, the old memory's bytes copied and
 *   the old memory handed to `discard`) whenever the bytes that arrived
 *   need more room, up to the payload's size. So the memory a frame holds
 *   is at most twice the bytes that arrived (or initialPayloadBytes).
 *   Before that, `admit(payloadBytes, peek)` may refuse the frame (false;
 *   the owner deals with it): every later byte is then ignored.
 *   minPayloadBytes must be at least peekBytes.
 * - `inFrame` says whether part of a frame (its size included) is in.
 * - Each completed payload goes to `deliver`, in stream order.
 */

export interface FrameLimits {
  peekBytes: number;
  minPayloadBytes: number;
  maxPayloadBytes: number;
  /** Payload memory allocated first (the whole payload when smaller); doubled as bytes arrive. */
  initialPayloadBytes: number;
}

export interface FrameSink {
  /** Whether to take a frame in, from its size and first bytes; false refuses it. */
  admit(payloadBytes: number, peek: Buffer): boolean;
  allocate(bytes: number, peek: Buffer): Buffer;
  /** Takes back memory `allocate` gave that a larger allocation replaced. */
  discard(memory: Buffer): void;
  deliver(payload: Buffer): void;
  refuse(payloadBytes: number): void;
}

const sizeBytes = 4;

export class FrameAssembler {
  private readonly limits: FrameLimits;
  private readonly sink: FrameSink;
  /** The size and the peeked bytes of the next frame, as far as in. */
  private readonly prefix: Buffer;
  private prefixFilled = 0;
  /** The memory of the payload being filled (as long as allocated so far), its size, and how much of it is in. */
  private payload: Buffer | null = null;
  private payloadBytes = 0;
  private payloadFilled = 0;
  private refused = false;

  constructor(limits: FrameLimits, sink: FrameSink) {
    if (limits.minPayloadBytes < limits.peekBytes) throw new RangeError('minPayloadBytes is below peekBytes');
    this.limits = limits;
    this.sink = sink;
    this.prefix = Buffer.alloc(sizeBytes + limits.peekBytes);
  }

  push(bytes: Buffer): void {
    let at = 0;
    while (!this.refused) {
      if (this.payload === null) {
        if (at === bytes.length) return;
        at = this.fillPrefix(bytes, at);
        if (this.payload === null) return;
      }
      const n = Math.min(this.payloadBytes - this.payloadFilled, bytes.length - at);
      if (this.payloadFilled + n > this.payload.length) this.grow(this.payloadFilled + n);
      bytes.copy(this.payload!, this.payloadFilled, at, at + n);
      this.payloadFilled += n;
      at += n;
      if (this.payloadFilled < this.payloadBytes) return;
      const payload = this.payload!;
      this.payload = null;
      this.sink.deliver(payload);
    }
  }

  get inFrame(): boolean {
    return this.payload !== null || this.prefixFilled > 0;
  }

  /** Moves the payload's bytes so far into memory of at least `needed` bytes: double the current, at most the payload's size. */
  private grow(needed: number): void {
    const old = this.payload!;
    const bytes = Math.min(this.payloadBytes, Math.max(needed, 2 * old.length));
    this.payload = this.sink.allocate(bytes, this.prefix.subarray(sizeBytes));
    old.copy(this.payload, 0, 0, this.payloadFilled);
    this.sink.discard(old);
  }

  /** Copies prefix bytes from `bytes` at `at`; checks the size once its bytes are in and starts the payload once the prefix is complete. Returns where it stopped reading. */
  private fillPrefix(bytes: Buffer, at: number): number {
    const n = Math.min(this.prefix.length - this.prefixFilled, bytes.length - at);
    const hadSize = this.prefixFilled >= sizeBytes;
    bytes.copy(this.prefix, this.prefixFilled, at, at + n);
    this.prefixFilled += n;
    if (!hadSize && this.prefixFilled >= sizeBytes) {
      const size = this.prefix.readInt32BE(0);
      if (size < this.limits.minPayloadBytes || size > this.limits.maxPayloadBytes) {
        this.refused = true;
        this.sink.refuse(size);
        return bytes.length;
      }
    }
    if (this.prefixFilled < this.prefix.length) return at + n;
    this.payloadBytes = this.prefix.readInt32BE(0);
    const peek = this.prefix.subarray(sizeBytes);
    if (!this.sink.admit(this.payloadBytes, peek)) {
      this.refused = true;
      return bytes.length;
    }
    this.payload = this.sink.allocate(Math.min(this.payloadBytes, Math.max(this.limits.initialPayloadBytes, peek.length)), peek);
    peek.copy(this.payload, 0);
    this.payloadFilled = peek.length;
    this.prefixFilled = 0;
    return at + n;
  }
}
