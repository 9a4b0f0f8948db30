/**
 * Failed authentications per client address, so that one address cannot
 * make the broker derive passwords (a PBKDF2 per PLAIN login, a SCRAM
 * exchange per attempt) as fast as it can send them: each address has a
 * bucket of `burst` failures that refills at `perSecond`; while it is
 * empty, `refusal(ip)` says why that address's next attempt is refused
 * before any work is done. At most `addressesMax` addresses are tracked
 * (the least recently failed is forgotten first), so the table is bounded
 * whatever the number of addresses. Time from the injected monotonic clock.
 */
import type { Clock } from '../../clock.ts';

export interface AuthFailureLimits {
  burst: number;
  perSecond: number;
  addressesMax: number;
}

export class AuthFailures {
  /** Failures an address may still have, as of `atMs`; in order of the last failure. */
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private readonly limits: AuthFailureLimits;
  private readonly clock: Clock;

  constructor(limits: AuthFailureLimits, clock: Clock) {
    this.limits = limits;
    this.clock = clock;
  }

  /** Null when `ip` may try to authenticate, else why not. */
  refusal(ip: string): string | null {
    const tokens = this.tokens(ip);
    if (tokens >= 1) return null;
    const waitS = Math.ceil((1 - tokens) / this.limits.perSecond);
    return `too many failed authentications from ${ip}: try again in ${waitS} s`;
  }

  /** Counts a failed authentication of `ip`. */
  failed(ip: string): void {
    const tokens = this.tokens(ip);
    this.buckets.delete(ip);
    this.buckets.set(ip, { tokens: Math.max(0, tokens - 1), atMs: this.clock.monotonicMs() });
    if (this.buckets.size > this.limits.addressesMax) this.buckets.delete(this.buckets.keys().next().value!);
  }

  private tokens(ip: string): number {
    const bucket = this.buckets.get(ip);
    if (!bucket) return this.limits.burst;
    const elapsedS = Math.max(0, this.clock.monotonicMs() - bucket.atMs) / 1000;
    return Math.min(this.limits.burst, bucket.tokens + elapsedS * this.limits.perSecond);
  }
}
