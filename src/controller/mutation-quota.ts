/**
 * controller.mutation.rate and the controller_mutation_rate client quota
 * (KIP-599): per bucket (the controller picks it: a quota entity's, or a
 * client address's), a token bucket of partition mutations (partitions
 * created or deleted) refilled at the bucket's rate. A bucket starts full
 * with `rate x burstSeconds` tokens (Kafka: the rate times
 * controller.quota.window.num x controller.quota.window.size.seconds).
 * While its bucket is not negative a client may mutate, and a request
 * takes all its partitions even when that drives the bucket below zero (as
 * Kafka's strict quota); while it is negative the client is throttled for
 * the time the bucket needs to reach zero again. Full buckets are
 * forgotten, so memory holds only recently busy clients.
 */
import { int32Max } from '../protocol/wire-limits.ts';

interface Bucket {
  tokens: number;
  /** Monotonic ms of the last refill. */
  at: number;
  /** Partitions per second it was last refilled at. */
  rate: number;
}

export interface MutationRate {
  /** Partitions per second. */
  rate: number;
  burstSeconds: number;
}

/** Buckets kept before full ones are swept out. */
const bucketsSweepAt = 1024;

export class MutationQuota {
  private readonly burstSeconds: () => number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(burstSeconds: () => number, now: () => number) {
    this.burstSeconds = burstSeconds;
    this.now = now;
  }

  /** 0 when bucket `key` (refilled at `rate` per second) may mutate now, else the milliseconds until it may (at most what a response's throttle_time_ms holds). */
  throttleMs(key: string, rate: number): number {
    const tokens = this.tokens(key, rate);
    return tokens >= 0 ? 0 : Math.min(int32Max, Math.ceil((-tokens / rate) * 1000));
  }

  /** Takes `partitions` mutations from bucket `key` (a negative count gives back those of a change that failed). */
  record(key: string, rate: number, partitions: number): void {
    if (partitions === 0) return;
    this.buckets.set(key, { tokens: Math.min(rate * this.burstSeconds(), this.tokens(key, rate) - partitions), at: this.now(), rate });
    if (this.buckets.size > bucketsSweepAt) for (const [other, bucket] of [...this.buckets]) this.tokens(other, bucket.rate);
  }

  /** The bucket's tokens now (refilled since its last use); a full bucket is forgotten. */
  private tokens(key: string, rate: number): number {
    const burst = rate * this.burstSeconds();
    const bucket = this.buckets.get(key);
    if (!bucket) return burst;
    const tokens = Math.min(burst, bucket.tokens + (Math.max(0, this.now() - bucket.at) / 1000) * rate);
    if (tokens >= burst) this.buckets.delete(key);
    else this.buckets.set(key, { tokens, at: this.now(), rate });
    return tokens;
  }
}
