/**
 * A latency histogram for benchmarks: values in microseconds (non-negative
 * integers; fractions are truncated, negatives count as 0) go into
 * log-linear buckets, 64 per power of two, so every reported percentile is
 * within 1/64 (1.6%) of a recorded value while memory stays fixed (a few KB
 * whatever the count). Count, sum (for the mean), min and max are exact.
 * `summary()` gives avg/p50/p95/p99/p99.9/max in milliseconds.
 */

const subBucketBits = 6;
const subBuckets = 1 << subBucketBits;
/** Values are clamped to 2^40 us (about 12 days). */
const valueBitsMax = 40;

export interface LatencySummary {
  count: number;
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

function bucketOf(value: number): number {
  if (value < subBuckets) return value;
  const exponent = 31 - Math.clz32(Math.floor(value / subBuckets)); // value >> exponent lies in [64, 128)
  return (exponent + 1) * subBuckets + (Math.floor(value / 2 ** exponent) - subBuckets);
}

/** The smallest value that falls in `bucket`. */
function lowestOf(bucket: number): number {
  if (bucket < subBuckets) return bucket;
  const exponent = Math.floor(bucket / subBuckets) - 1;
  return (subBuckets + (bucket % subBuckets)) * 2 ** exponent;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array((valueBitsMax - subBucketBits + 2) * subBuckets);
  count = 0;
  private sum = 0;
  private min = Infinity;
  private max = 0;

  recordMicros(micros: number): void {
    const value = Math.min(Math.max(Math.trunc(micros), 0), 2 ** valueBitsMax - 1);
    this.counts[bucketOf(value)]++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** The value at quantile q (0..1) in microseconds: the low edge of its bucket, kept within [min, max]. */
  quantileMicros(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let bucket = 0; bucket < this.counts.length; bucket++) {
      seen += this.counts[bucket];
      if (seen >= rank) return Math.min(Math.max(lowestOf(bucket), this.min), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    const ms = (micros: number) => Math.round(micros) / 1000;
    return {
      count: this.count,
      avgMs: this.count === 0 ? 0 : ms(this.sum / this.count),
      p50Ms: ms(this.quantileMicros(0.5)),
      p95Ms: ms(this.quantileMicros(0.95)),
      p99Ms: ms(this.quantileMicros(0.99)),
      p999Ms: ms(this.quantileMicros(0.999)),
      maxMs: ms(this.count === 0 ? 0 : this.max),
    };
  }
}
