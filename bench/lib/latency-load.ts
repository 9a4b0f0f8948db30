/**
 * kb's client as an open-loop latency load generator, one role per process
 * (`node latency-load.ts JSON`, the same settings as latency_load.py, the
 * librdkafka one):
 * - produce: `rate` records/s of `size` bytes to partition 0 of `topic`
 *   for `seconds`, record i due at start + i/rate whatever happened to the
 *   ones before it (no coordinated omission); each value begins with its
 *   due time (float64 LE, ms since the epoch). Produce latency is from the
 *   due time to the acknowledgement. At most a second's worth of records
 *   is unacknowledged: past that the generator waits, and the wait counts
 *   in the latency of every record it delays.
 * - consume: reads partition 0 from offset 0 until `records` arrived (or
 *   `seconds` passed), end-to-end latency from a record's due time to the
 *   poll that returned it; prints "ready" once its first poll returned.
 * Records with offset (= index) below `warmup` are not counted. Latencies
 * go to `out` as float64 microseconds; the last stdout line is
 * {"sent", "failed", "sendSeconds" (produce: first due time to the last
 * record handed over), "counted"}.
 */
import { writeFile } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from '../../src/client/cluster.ts';
import { Consumer } from '../../src/client/consumer.ts';
import { Producer } from '../../src/client/producer.ts';

export interface LoadSettings {
  role: 'produce' | 'consume';
  bootstrap: string;
  topic: string;
  /** acks for produce: -1 (all) or 1. */
  acks: -1 | 1;
  rate: number;
  seconds: number;
  size: number;
  /** Records (from offset 0) left out of the latencies. */
  warmup: number;
  /** Records the consumer waits for. */
  records: number;
  lingerMs: number;
  out: string;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on this machine. */
const wallMs = () => performance.timeOrigin + performance.now();

interface RoleResult {
  sent: number;
  failed: number;
  /** Produce: from the first record's due time to the last record handed over (above `seconds`: the generator fell behind). */
  sendSeconds?: number;
  latencies: Float64Array;
}

async function produce(cluster: Cluster, s: LoadSettings): Promise<RoleResult> {
  await cluster.refreshMetadata([s.topic]);
  const producer = new Producer(cluster, { acks: s.acks, lingerMs: s.lingerMs, maxInFlight: 5 });
  const count = Math.round(s.rate * s.seconds);
  const latencies = new Float64Array(count);
  const intervalMs = 1000 / s.rate;
  const outstandingMax = Math.max(1, Math.ceil(s.rate));
  let counted = 0;
  let failed = 0;
  let outstanding = 0;
  const start = wallMs() + 20;
  for (let i = 0; i < count; ) {
    const now = wallMs();
    const due = start + i * intervalMs;
    if (due > now || outstanding >= outstandingMax) {
      // A timer sleeps 1 ms at least: for less, only let the event loop turn (acknowledgements, linger timers).
      await (due - now >= 1 ? sleep(Math.floor(due - now)) : yieldToEventLoop());
      continue;
    }
    // Every record already due goes now, each stamped with its own due time.
    for (; i < count && start + i * intervalMs <= now && outstanding < outstandingMax; i++) {
      const intended = start + i * intervalMs;
      const value = Buffer.alloc(s.size, 0x78);
      value.writeDoubleLE(intended, 0);
      outstanding++;
      const counts = i >= s.warmup;
      producer.send(s.topic, { value, partition: 0 }, (err) => {
        outstanding--;
        if (err) failed++;
        else if (counts) latencies[counted++] = (wallMs() - intended) * 1000;
      });
    }
  }
  const sendSeconds = (wallMs() - start) / 1000;
  await producer.flush();
  return { sent: count, failed, sendSeconds, latencies: latencies.subarray(0, counted) };
}

async function consume(cluster: Cluster, s: LoadSettings): Promise<RoleResult> {
  const consumer = new Consumer(cluster, [{ topic: s.topic, partition: 0, offset: 0n }], { maxWaitMs: 100 });
  const latencies = new Float64Array(s.records);
  let received = 0;
  let counted = 0;
  const deadline = wallMs() + s.seconds * 1000;
  let ready = false;
  const warmup = BigInt(s.warmup);
  while (received < s.records && wallMs() < deadline) {
    const records = await consumer.poll();
    const now = wallMs();
    if (!ready) {
      process.stdout.write('ready\n');
      ready = true;
    }
    for (const r of records) {
      received++;
      if (r.offset >= warmup && counted < latencies.length && r.value !== null && r.value.length >= 8) latencies[counted++] = (now - r.value.readDoubleLE(0)) * 1000;
    }
  }
  return { sent: received, failed: 0, latencies: latencies.subarray(0, counted) };
}

const settings = JSON.parse(process.argv[2]) as LoadSettings;
const [host, port] = settings.bootstrap.split(',')[0].split(':');
const cluster = new Cluster({ bootstrap: [{ host, port: Number(port) }], clientId: `kb-latency-${settings.role}` });
try {
  const result = await (settings.role === 'produce' ? produce : consume)(cluster, settings);
  await writeFile(settings.out, result.latencies);
  process.stdout.write(`${JSON.stringify({ sent: result.sent, failed: result.failed, sendSeconds: result.sendSeconds, counted: result.latencies.length })}\n`);
} finally {
  cluster.close();
}
