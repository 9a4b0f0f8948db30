/**
 * A byte-rate quota for the replication traffic of reassignments (Kafka's
 * leader.replication.throttled.rate / follower.replication.throttled.rate):
 * only replicas being added by a reassignment and not yet in the ISR are
 * throttled (`isThrottledReplica`). Bytes are recorded as they pass;
 * `delayMs()` is how long throttled traffic must pause so that, on
 * average, no more than `rate()` bytes/s pass (a leaky bucket: a transfer
 * is let through whole, the next waits for it to drain), on the monotonic
 * clock.
 */
import type { Clock } from '../../clock.ts';
import type { PartitionRecord } from '../../metadata/records.ts';

export function isThrottledReplica(state: PartitionRecord, replicaId: number): boolean {
  return (state.addingReplicas?.includes(replicaId) ?? false) && !state.isr.includes(replicaId);
}

export class ReplicationThrottle {
  private readonly rate: () => number;
  private readonly clock: Clock;
  /** When the bytes recorded so far have drained at the rate. */
  private drainedAtMs = 0;

  constructor(rate: () => number, clock: Clock) {
    this.rate = rate;
    this.clock = clock;
  }

  record(bytes: number): void {
    const rate = this.rate();
    if (!(rate > 0) || bytes <= 0) return;
    this.drainedAtMs = Math.max(this.clock.monotonicMs(), this.drainedAtMs) + (bytes / rate) * 1000;
  }

  delayMs(): number {
    return Math.max(0, this.drainedAtMs - this.clock.monotonicMs());
  }
}
