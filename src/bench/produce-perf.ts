/**
 * The measurement behind `kb bench produce` (kafka-producer-perf-test on
 * kb's own Producer): sends `records` records of `recordSize` bytes (one
 * random payload, reused) to a topic, round-robin over its partitions, at
 * most `throughput` records/s (or as fast as the producer takes them when
 * null), and reports records/s, MB/s (MB = 2^20 bytes, as Kafka's tool) and
 * the latency of every record.
 *
 * Latency is measured from the record's intended send time, not from when
 * the loop got round to sending it: with a throughput cap, record i is due
 * at start + i/throughput, so a stall (a slow broker, a full send window)
 * shows up in the latency of every record it delayed (no coordinated
 * omission). Unthrottled, a record is due when the previous one was handed
 * to the producer. At most `windowRecords` records and `windowBytes` of
 * them are unacknowledged at once: that bounds memory and, unthrottled,
 * the latency of the queue the loop fills (records waiting behind the
 * window count from when they were handed over, so a window far larger
 * than one round trip's worth shows up as latency, not throughput). The
 * run also stops sending at `timeLimitMs` and reports what was
 * acknowledged by then.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from '../client/producer.ts';
import { SendWindow } from '../client/send-window.ts';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.ts';

export interface ProducePerfOptions {
  topic: string;
  records: number;
  recordSize: number;
  /** Records per second, or null for as fast as possible. */
  throughput: number | null;
  windowRecords: number;
  /** Record bytes unacknowledged at most (at least one record). */
  windowBytes: number;
  timeLimitMs: number;
}

export interface PerfResult {
  records: number;
  bytes: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
}

export interface ProducePerfResult extends PerfResult {
  failed: number;
  firstError: string | null;
  latency: LatencySummary;
}

export const mb = 1024 * 1024;
/** The longest single sleep of the pacing loop, so a time limit is noticed. */
const pacingSleepMaxMs = 50;

export function perfResult(records: number, bytes: number, seconds: number): PerfResult {
  const s = Math.max(seconds, 1e-9);
  return { records, bytes, seconds, recordsPerSec: records / s, mbPerSec: bytes / mb / s };
}

export async function runProducePerf(producer: Producer, options: ProducePerfOptions): Promise<ProducePerfResult> {
  const value = randomBytes(options.recordSize);
  const histogram = new LatencyHistogram();
  const window = new SendWindow(Math.max(1, Math.min(options.windowRecords, Math.floor(options.windowBytes / Math.max(options.recordSize, 1)))));
  let acknowledged = 0;
  let failed = 0;
  let firstError: string | null = null;
  const start = performance.now();
  const deadline = start + options.timeLimitMs;
  const intervalMs = options.throughput === null ? 0 : 1000 / options.throughput;

  for (let i = 0; i < options.records; i++) {
    let now = performance.now();
    const intended = intervalMs > 0 ? start + i * intervalMs : now;
    for (; intended > now && now < deadline; now = performance.now()) await sleep(Math.min(intended - now, pacingSleepMaxMs));
    if (now >= deadline) break;
    window.sent();
    producer.send(options.topic, { value }, (err) => {
      if (err) {
        failed++;
        firstError ??= err.message;
      } else {
        histogram.recordMicros((performance.now() - intended) * 1000);
        acknowledged++;
      }
      window.settled();
    });
    if (window.full) await window.roomMade();
  }
  await producer.flush();
  await window.drained();
  const seconds = (performance.now() - start) / 1000;
  return { ...perfResult(acknowledged, acknowledged * options.recordSize, seconds), failed, firstError, latency: histogram.summary() };
}
