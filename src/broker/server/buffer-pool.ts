/**
 * Reusable memory for the large buffers requests need: Produce frames,
 * copied out of the socket's read buffer (a librdkafka producer sends ~1 MB
 * frames), and the chunks a Fetch reads from segment files (~1 MB per
 * partition). A fresh buffer each time costs page
 * faults and, as external memory, drives V8 into a full GC every few tens
 * of megabytes; reusing buffers removes both.
 *
 * Contract:
 * - `take(size)` returns a buffer of exactly `size` bytes (contents
 *   undefined): a view of an idle pooled buffer whose capacity (size
 *   rounded up to a power of two, at least `minCapacityBytes`) fits, or of a
 *   new one.
 * - `give(buffer)` hands back a buffer `take` returned, once nothing refers
 *   to its bytes any more (the caller's promise: a use after give sees
 *   another request's bytes). Idle buffers are kept up to
 *   `poolIdleBytesMax` (src/limits.ts) in all. A buffer given back when
 *   that is reached first pushes out idle buffers of other capacities (so
 *   the pool follows a workload whose sizes change, e.g. from 1 MB Produce
 *   frames to 2 MB Fetch chunks); when those do not make room it is left
 *   to the GC.
 * - A `BufferLease` takes buffers for one request and gives them all back at
 *   once with `release()` (the connection calls it when the response has
 *   been written to the socket, or will never be). Sizes below
 *   `minCapacityBytes` are not worth pooling: they come from
 *   Buffer.allocUnsafe and are left to the GC. Every byte a lease takes,
 *   pooled or not, counts into its RequestMemory (the broker's response
 *   memory) until release.
 */
import { poolIdleBytesMax } from '../../limits.ts';
import type { RequestMemory } from './request-memory.ts';

/** Buffers smaller than this are not worth pooling (see BufferLease). */
export const minCapacityBytes = 64 * 1024;

export class BufferPool {
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

  give(buffer: Buffer): void {
    const whole = Buffer.from(buffer.buffer, 0, buffer.buffer.byteLength);
    this.dropOtherCapacities(whole.length);
    if (this.idleBytes + whole.length > poolIdleBytesMax) return;
    let free = this.idle.get(whole.length);
    if (!free) this.idle.set(whole.length, (free = []));
    free.push(whole);
    this.idleBytes += whole.length;
  }

  /** Drops idle buffers of capacities other than `capacity` until one of it fits under the cap (or none are left). */
  private dropOtherCapacities(capacity: number): void {
    for (const [other, free] of this.idle) {
      while (other !== capacity && free.length > 0 && this.idleBytes + capacity > poolIdleBytesMax) {
        free.pop();
        this.idleBytes -= other;
      }
    }
  }

  /** Bytes held idle now. */
  get idleBytesHeld(): number {
    return this.idleBytes;
  }
}

/** Allocates `size` bytes (contents undefined) that stay valid for as long as the allocator's owner says. */
export type Allocate = (size: number) => Buffer;

export class BufferLease {
  private readonly pool: BufferPool;
  private readonly memory: RequestMemory;
  private readonly taken: Buffer[] = [];
  private takenBytes = 0;

  constructor(pool: BufferPool, memory: RequestMemory) {
    this.pool = pool;
    this.memory = memory;
  }

  readonly take: Allocate = (size) => {
    this.memory.take(size);
    this.takenBytes += size;
    if (size < minCapacityBytes) return Buffer.allocUnsafe(size);
    const buffer = this.pool.take(size);
    this.taken.push(buffer);
    return buffer;
  };

  /** Gives every buffer taken so far back to the pool; they must no longer be in use. */
  release(): void {
    for (const buffer of this.taken) this.pool.give(buffer);
    this.taken.length = 0;
    this.memory.give(this.takenBytes);
    this.takenBytes = 0;
  }
}
