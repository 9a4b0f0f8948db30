/**
 * Client quotas on this broker, measured and enforced as Kafka's
 * ClientQuotaManager does: each quota key's usage (bytes produced, bytes
 * fetched, handler time) is recorded per bucket (metadata/client-quotas.ts:
 * which entity's quota applies and who shares it) into `quota.window.num`
 * samples of `quota.window.size.seconds`; the rate is the samples' total
 * over their span (at least num - 1 whole samples, so a first burst is
 * measured over the whole window). A rate above the quota L gives the
 * delay that brings it back to L: (rate - L) / L x span (for
 * request_percentage at most one sample, as Kafka bounds it; a byte rate's
 * is not bounded, so a huge request waits accordingly, and Fetch reads at
 * most `windowMax`). Usage is always recorded, throttled or not; the caller answers
 * with the delay as throttle_time_ms and mutes the connection for that
 * long. Unlimited clients (no quota applies) cost one lookup of an empty
 * map; which quota applies to a user and client id is cached until the
 * quotas change. Buckets idle for a whole window are swept once there are many (at
 * most once a sample: the buckets alive are those used within a window).
 */
import { appliedQuota, quotaUser, type AppliedQuota, type QuotaKey } from '../../metadata/client-quotas.ts';
import type { MetadataImage } from '../../metadata/image.ts';
import { quotaBucketsSweepAt } from '../../limits.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

export interface QuotaWindow {
  num: number;
  sizeMs: number;
}

/** The quotas this node has applied. */
export type QuotaImage = Readonly<Pick<MetadataImage, 'clientQuotas' | 'clientQuotasVersion'>>;

interface Sample {
  start: number;
  value: number;
}

/** Kafka's sampled Rate: usage in `num` samples of `sizeMs`. */
class SampledRate {
  private readonly samples: Sample[] = [];

  record(value: number, now: number, window: QuotaWindow): void {
    this.purge(now, window);
    const last = this.samples.at(-1);
    if (!last || now >= last.start + window.sizeMs) {
      this.samples.push({ start: now, value });
      if (this.samples.length > window.num) this.samples.shift();
    } else {
      last.value += value;
    }
  }

  /** Usage per second, and the span (ms) it was measured over. */
  measure(now: number, window: QuotaWindow): { perSecond: number; spanMs: number } {
    this.purge(now, window);
    if (this.samples.length === 0) return { perSecond: 0, spanMs: window.sizeMs * Math.max(1, window.num - 1) };
    const total = this.samples.reduce((sum, s) => sum + s.value, 0);
    let spanMs = Math.max(0, now - this.samples[0].start);
    const wholeSamples = Math.floor(spanMs / window.sizeMs);
    if (wholeSamples < window.num - 1) spanMs += (window.num - 1 - wholeSamples) * window.sizeMs;
    spanMs = Math.max(spanMs, 1);
    return { perSecond: (total * 1000) / spanMs, spanMs };
  }

  idle(now: number, window: QuotaWindow): boolean {
    this.purge(now, window);
    return this.samples.length === 0;
  }

  /** Drops samples older than the whole window. */
  private purge(now: number, window: QuotaWindow): void {
    while (this.samples.length > 0 && this.samples[0].start + window.num * window.sizeMs <= now) this.samples.shift();
  }
}

/** One quota key's usage on this broker, per bucket. */
export class QuotaMeter {
  private readonly key: QuotaKey;
  private readonly image: QuotaImage;
  private readonly window: () => QuotaWindow;
  private readonly now: () => number;
  private readonly rates = new Map<string, SampledRate>();
  /** When buckets were last swept: at most once a sample, so a flood of new buckets costs no sweep per request. */
  private sweptAt = Number.NEGATIVE_INFINITY;

  /** `${user}\0${clientId}` -> the quota resolved for them, while the image's quotas stay as they were (resolvedVersion). */
  private readonly resolved = new Map<string, AppliedQuota | null>();
  private resolvedVersion = -1;

  constructor(key: QuotaKey, image: QuotaImage, window: () => QuotaWindow, now: () => number) {
    this.key = key;
    this.image = image;
    this.window = window;
    this.now = now;
  }

  /** Records `value` for the principal and client id; the delay in ms (0: within its quota, or none applies). */
  recordAndThrottleMs(principal: string, clientId: string | null, value: number): number {
    const quota = this.quotaFor(principal, clientId);
    if (!quota) return 0;
    const now = this.now();
    const window = this.window();
    let rate = this.rates.get(quota.bucket);
    if (!rate) {
      if (this.rates.size >= quotaBucketsSweepAt && now - this.sweptAt >= window.sizeMs) this.sweep(now, window);
      rate = new SampledRate();
      this.rates.set(quota.bucket, rate);
    }
    rate.record(value, now, window);
    const { perSecond, spanMs } = rate.measure(now, window);
    if (perSecond <= quota.limit) return 0;
    const delayMs = Math.round(((perSecond - quota.limit) / quota.limit) * spanMs);
    return Math.min(delayMs, this.key === 'request_percentage' ? window.sizeMs : int32Max);
  }

  /** What the quota allows in a whole window (Kafka's getMaxValueInQuotaWindow), Infinity when none applies: the most one Fetch reads. */
  windowMax(principal: string, clientId: string | null): number {
    const quota = this.quotaFor(principal, clientId);
    if (!quota) return Number.POSITIVE_INFINITY;
    const { num, sizeMs } = this.window();
    return Math.floor((quota.limit * num * sizeMs) / 1000);
  }

  /** The quota that applies (metadata/client-quotas.ts), cached until the image's quotas change (and bounded). */
  private quotaFor(principal: string, clientId: string | null): AppliedQuota | null {
    const { clientQuotas, clientQuotasVersion } = this.image;
    if (clientQuotas.size === 0) return null;
    if (this.resolvedVersion !== clientQuotasVersion || this.resolved.size >= quotaBucketsSweepAt) {
      this.resolved.clear();
      this.resolvedVersion = clientQuotasVersion;
    }
    const user = quotaUser(principal);
    const key = `${user}\0${clientId ?? ''}`;
    let quota = this.resolved.get(key);
    if (quota === undefined) {
      quota = appliedQuota(clientQuotas, user, clientId ?? '', this.key);
      this.resolved.set(key, quota);
    }
    return quota;
  }

  private sweep(now: number, window: QuotaWindow): void {
    this.sweptAt = now;
    for (const [bucket, rate] of this.rates) if (rate.idle(now, window)) this.rates.delete(bucket);
  }
}

/** The quotas a broker enforces on its connections' requests. */
export class ClientQuotas {
  /** producer_byte_rate: bytes of record batches produced. */
  readonly produce: QuotaMeter;
  /** consumer_byte_rate: bytes of record batches fetched by consumers. */
  readonly fetch: QuotaMeter;
  /** request_percentage: handler time, in percent-seconds of one thread (100 = one thread all the time). */
  readonly request: QuotaMeter;

  constructor(image: QuotaImage, window: () => QuotaWindow, now: () => number) {
    this.produce = new QuotaMeter('producer_byte_rate', image, window, now);
    this.fetch = new QuotaMeter('consumer_byte_rate', image, window, now);
    this.request = new QuotaMeter('request_percentage', image, window, now);
  }
}
