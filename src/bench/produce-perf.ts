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
 * to the producer. At most `windowRecords` records are unacknowledged at
 * once, which bounds memory; the run also stops sending at `timeLimitMs`
 * and reports what was acknowledged by then.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from '../client/producer.ts';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.ts';

export interface ProducePerfOptions {
  topic: string;
  records: number;
  recordSize: number;
  /** Records per second, or null for as fast as possible. */
  throughput: number | null;
  windowRecords: number;
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
  let inFlight = 0;
  let windowOpened: (() => void) | null = null;
  let acknowledged = 0;
  let failed = 0;
  let firstError: string | null = null;
  const start = performance.now();
  const deadline = start + options.timeLimitMs;
  const intervalMs = options.throughput === null ? 0 : 1000 / options.throughput;
  let dueAt = start;
  /** Wakes the send loop once half the window is free again (or everything settled). */
  const settled = () => {
    inFlight--;
    if (windowOpened && (inFlight <= options.windowRecords / 2 || inFlight === 0)) {
      windowOpened();
      windowOpened = null;
    }
  };

  for (let i = 0; i < options.records; i++) {
    if (intervalMs > 0) {
      dueAt = start + i * intervalMs;
      for (let wait = dueAt - performance.now(); wait > 0 && performance.now() < deadline; wait = dueAt - performance.now()) {
        await sleep(Math.min(wait, pacingSleepMaxMs));
      }
    } else {
      dueAt = performance.now();
    }
    if (performance.now() >= deadline) break;
    const intended = dueAt;
    inFlight++;
    void producer.send(options.topic, { value }).then(
      () => {
        histogram.recordMicros((performance.now() - intended) * 1000);
        acknowledged++;
        settled();
      },
      (err: Error) => {
        failed++;
        firstError ??= err.message;
        settled();
      },
    );
    if (inFlight >= options.windowRecords) await new Promise<void>((resolve) => (windowOpened = resolve));
  }
  await producer.flush();
  while (inFlight > 0) await new Promise<void>((resolve) => (windowOpened = resolve));
  const seconds = (performance.now() - start) / 1000;
  return { ...perfResult(acknowledged, acknowledged * options.recordSize, seconds), failed, firstError, latency: histogram.summary() };
}
