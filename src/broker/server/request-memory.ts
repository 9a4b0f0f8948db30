/**
 * A byte budget shared by connections. A listener's request memory
 * (`queued.max.request.bytes`): the bytes held by frames being read,
 * waiting, or being handled, across all its connections. The broker's
 * response memory (`queued.max.response.bytes`): the bytes responses
 * refer to (fetched batches, leased per request: buffer-pool.ts) from
 * their allocation until the socket has taken them.
 *
 * Contract:
 * - `take(n)` / `give(n)` count memory in and out; `take` never refuses
 *   (the bytes of a socket read already in hand must go somewhere), so the
 *   total may pass the budget by what connections take before they stop.
 * - `full` is true while the total is at or above the budget; a connection
 *   then stops reading and calls `whenFree(resume)`: `resume` runs once
 *   (unless the connection cancels it with the returned function) when the
 *   total falls below the budget again.
 * - A budget of -1 (Kafka's "unbounded") is never full.
 */
export class RequestMemory {
  readonly budgetBytes: number;
  private heldBytes = 0;
  private readonly waiting = new Set<() => void>();

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
  }

  take(bytes: number): void {
    this.heldBytes += bytes;
  }

  give(bytes: number): void {
    this.heldBytes -= bytes;
    if (this.full) return;
    const resumes = [...this.waiting];
    this.waiting.clear();
    for (const resume of resumes) resume();
  }

  get full(): boolean {
    return this.budgetBytes >= 0 && this.heldBytes >= this.budgetBytes;
  }

  get held(): number {
    return this.heldBytes;
  }

  /** Bytes until the budget is full: 0 when it is, Infinity when it is unbounded. */
  get room(): number {
    return this.budgetBytes < 0 ? Infinity : Math.max(this.budgetBytes - this.heldBytes, 0);
  }

  /** Runs `resume` once the budget has room again; returns a function that cancels it. */
  whenFree(resume: () => void): () => void {
    this.waiting.add(resume);
    return () => this.waiting.delete(resume);
  }
}
