/**
 * Cuts a byte stream into Kafka frames (an int32 size, then that many
 * payload bytes) and copies each payload into memory of its own, allocated
 * once at its final size. Both ends of a connection use it: the broker for
 * requests, the client for responses.
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
 *   `allocate(payloadBytes, peek)` returns the payload's memory (exactly
 *   payloadBytes long: a fresh buffer or pooled memory, the owner's choice).
 *   minPayloadBytes must be at least peekBytes.
 * - Each completed payload goes to `deliver`, in stream order.
 */

export interface FrameLimits {
  peekBytes: number;
  minPayloadBytes: number;
  maxPayloadBytes: number;
}

export interface FrameSink {
  allocate(payloadBytes: number, peek: Buffer): Buffer;
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
  /** The payload being filled, and how much of it is in. */
  private payload: Buffer | null = null;
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
      const n = Math.min(this.payload.length - this.payloadFilled, bytes.length - at);
      bytes.copy(this.payload, this.payloadFilled, at, at + n);
      this.payloadFilled += n;
      at += n;
      if (this.payloadFilled < this.payload.length) return;
      const payload = this.payload;
      this.payload = null;
      this.sink.deliver(payload);
    }
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
    const payloadBytes = this.prefix.readInt32BE(0);
    const peek = this.prefix.subarray(sizeBytes);
    this.payload = this.sink.allocate(payloadBytes, peek);
    peek.copy(this.payload, 0);
    this.payloadFilled = peek.length;
    this.prefixFilled = 0;
    return at + n;
  }
}
