/**
 * controller.mutation.rate (KIP-599): per client, a token bucket of
 * partition mutations (partitions created or deleted). A client starts with
 * a full bucket of `rate x burstSeconds` tokens (Kafka: the rate times
 * controller.quota.window.num x controller.quota.window.size.seconds),
 * refilled at `rate` per second. While its bucket is not negative a client
 * may mutate, and a request takes all its partitions even when that drives
 * the bucket below zero (as Kafka's strict quota); while it is negative the
 * client is throttled for the time the bucket needs to reach zero again.
 * Full buckets are forgotten, so memory holds only recently busy clients.
 */
import { int32Max } from '../protocol/wire-limits.ts';

interface Bucket {
  tokens: number;
  /** Monotonic ms of the last refill. */
  at: number;
}

export interface MutationRate {
  /** Partitions per second. */
  rate: number;
  burstSeconds: number;
}

/** Buckets kept before full ones are swept out. */
const bucketsSweepAt = 1024;

export class MutationQuota {
  private readonly settings: () => MutationRate;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(settings: () => MutationRate, now: () => number) {
    this.settings = settings;
    this.now = now;
  }

  /** 0 when `client` may mutate now, else the milliseconds until it may (at most what a response's throttle_time_ms holds). */
  throttleMs(client: string): number {
    const tokens = this.tokens(client);
    return tokens >= 0 ? 0 : Math.min(int32Max, Math.ceil((-tokens / this.settings().rate) * 1000));
  }

  /** Takes `partitions` mutations from `client`'s bucket (a negative count gives back those of a change that failed). */
  record(client: string, partitions: number): void {
    if (partitions === 0) return;
    const { rate, burstSeconds } = this.settings();
    this.buckets.set(client, { tokens: Math.min(rate * burstSeconds, this.tokens(client) - partitions), at: this.now() });
    if (this.buckets.size > bucketsSweepAt) for (const key of [...this.buckets.keys()]) this.tokens(key);
  }

  /** The bucket's tokens now (refilled since its last use); a full bucket is forgotten. */
  private tokens(client: string): number {
    const { rate, burstSeconds } = this.settings();
    const burst = rate * burstSeconds;
    const bucket = this.buckets.get(client);
    if (!bucket) return burst;
    const tokens = Math.min(burst, bucket.tokens + (Math.max(0, this.now() - bucket.at) / 1000) * rate);
    if (tokens >= burst) this.buckets.delete(client);
    else this.buckets.set(client, { tokens, at: this.now() });
    return tokens;
  }
}
