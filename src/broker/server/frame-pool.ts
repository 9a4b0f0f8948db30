/**
 * Reusable memory for request frames that arrive in several socket chunks
 * and must be joined into one buffer (a librdkafka producer sends ~1 MB
 * Produce frames in 64 KB chunks). A fresh buffer per frame costs page
 * faults and, as external memory, drives V8 into a full GC every few tens
 * of megabytes; reusing buffers removes both.
 *
 * Contract:
 * - `take(size)` returns a buffer of exactly `size` bytes (contents
 *   undefined): a view of an idle pooled buffer whose capacity (size
 *   rounded up to a power of two, at least `minCapacityBytes`) fits, or of a
 *   new one.
 * - `give(frame)` hands back a buffer `take` returned, once nothing refers
 *   to its bytes any more (the caller's promise: a use after give sees
 *   another frame's bytes). Idle buffers are kept up to `idleBytesMax` in
 *   all; beyond that they are left to the GC.
 */

/** Idle pooled memory kept across all connections. */
export const idleBytesMax = 32 * 1024 * 1024;
const minCapacityBytes = 64 * 1024;

export class FramePool {
  private readonly idle = new Map<number, Buffer[]>();
  private idleBytes = 0;

  take(size: number): Buffer {
    const capacity = Math.max(minCapacityBytes, 2 ** Math.ceil(Math.log2(size)));
    const buffer = this.idle.get(capacity)?.pop();
    if (buffer) {
      this.idleBytes -= capacity;
      return buffer.subarray(0, size);
    }
    return Buffer.allocUnsafeSlow(capacity).subarray(0, size);
  }

  give(frame: Buffer): void {
    const whole = Buffer.from(frame.buffer, 0, frame.buffer.byteLength);
    if (this.idleBytes + whole.length > idleBytesMax) return;
    let free = this.idle.get(whole.length);
    if (!free) this.idle.set(whole.length, (free = []));
    free.push(whole);
    this.idleBytes += whole.length;
  }

  /** Bytes held idle now. */
  get idleBytesHeld(): number {
    return this.idleBytes;
  }
}
