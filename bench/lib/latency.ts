/**
 * Latency at fixed throughput on one kb setup (a single node or a 3-node
 * cluster, started here and stopped at the end): first the setup's maximum
 * 1 KB ingest, kcat producing `maxRecords` records with the setup's acks
 * (wall clock, the machine settled first); then, for each fraction of that
 * maximum and each load generator (kb's client, latency-load.ts; librdkafka
 * through confluent-kafka, latency_load.py, Debian's python3), a fresh
 * 1-partition topic, the generator's consumer started and polling, and its
 * producer sending at that rate for `seconds` (open loop). The produce and
 * end-to-end latencies the two processes wrote (float64 microseconds) go
 * into HDR histograms (hdr-histogram-js, 3 significant digits), summarised
 * as p50/p99/p99.9/max in ms. The first `warmupSeconds` of records are left
 * out (connections, JIT). Servers on the server core when `pinServers`,
 * generators on the client core. The machine is settled (processes.ts)
 * before the maximum is measured, not before the fixed-rate runs, whose
 * rate does not depend on it.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import * as hdr from 'hdr-histogram-js';
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors.ts';
import { waitForPartitions } from '../../test/helpers/cluster-metadata.ts';
import { clientCore, kcatInputFile, onCore, pin, serverCore, timedRun } from './processes.ts';
import type { LoadSettings } from './latency-load.ts';

const generatorScripts = {
  kb: [process.execPath, path.join(import.meta.dirname, 'latency-load.ts')],
  librdkafka: ['/usr/bin/python3', path.join(import.meta.dirname, 'latency_load.py')],
} as const;
export type Generator = keyof typeof generatorScripts;
export const generators = Object.keys(generatorScripts) as Generator[];

/** Both generators' producers wait this long for a batch to fill (librdkafka's linger.ms default is 5; latency runs ask for less). */
const lingerMs = 1;
const recordSize = 1024;
/** How long past the producer's run the consumer waits for the last records. */
const consumerGraceSeconds = 30;

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface LatencyRun {
  generator: Generator;
  fraction: number;
  rate: number;
  /** Records the producer was to send, and those that failed. */
  sent: number;
  failed: number;
  /** Records/s the producer handed over: below `rate`, the generator (or the machine) could not keep up. */
  sentPerSec: number;
  /** The producer process's CPU time over its wall time (1 = a whole core). */
  producerBusy: number;
  produce: LatencySummary;
  endToEnd: LatencySummary;
}

export interface SetupResult {
  maxRecordsPerSec: number;
  runs: LatencyRun[];
}

export interface Setup {
  nodes: number;
  acks: -1 | 1;
  pinServers: boolean;
  start(): Promise<{ bootstrap: string; pids: number[]; stop(): Promise<void> }>;
}

export interface LatencyOptions {
  dir: string;
  fractions: number[];
  maxRecords: number;
  seconds: number;
  warmupSeconds: number;
  timeLimitMs: number;
}

function summarize(micros: Float64Array): LatencySummary {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  for (const v of micros) histogram.recordValue(Math.min(Math.max(1, Math.round(v)), 3_600_000_000));
  const ms = (us: number) => Math.round(us) / 1000;
  const summary = {
    count: histogram.totalCount,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    p999Ms: ms(histogram.getValueAtPercentile(99.9)),
    maxMs: ms(histogram.maxValue),
  };
  histogram.destroy();
  return summary;
}

async function readLatencies(file: string): Promise<Float64Array> {
  const bytes = await readFile(file);
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)); // a Float64Array must start 8-byte aligned
}

/** Starts a generator's consumer and resolves once it printed "ready"; `done` settles with its last stdout line, `kill` ends it early. */
async function startConsumer(argv: string[], timeLimitMs: number): Promise<{ done: Promise<string>; kill(): void }> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeLimitMs });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done || first.value !== 'ready') {
    child.kill();
    throw new Error(`the latency consumer did not start: ${stderr.slice(-500)}`);
  }
  const done = (async () => {
    let last = '';
    for await (const line of lines) last = line;
    const code = await exited;
    if (code !== 0) throw new Error(`the latency consumer failed (${code}): ${stderr.slice(-500)}`);
    return last;
  })();
  done.catch(() => undefined);
  return { done, kill: () => child.kill() };
}

export async function latencyOf(setup: Setup, options: LatencyOptions): Promise<SetupResult> {
  const servers = await setup.start();
  const client = new Cluster({ bootstrap: servers.bootstrap.split(',').map((address) => ({ host: address.split(':')[0], port: Number(address.split(':')[1]) })), clientId: 'kb-latency-bench' });
  const admin = new Admin(client);
  try {
    if (setup.pinServers) for (const pid of servers.pids) pin(pid, serverCore);
    let topics = 0;
    const freshTopic = async () => {
      const topic = `latency-${++topics}`;
      const created = await admin.createTopic({ name: topic, partitions: 1, replicationFactor: setup.nodes, configs: {} });
      if (created.errorCode !== ErrorCode.NONE) throw new Error(`cannot create ${topic}: ${created.errorMessage ?? errorName(created.errorCode)}`);
      await waitForPartitions(servers.bootstrap, topic, `the ISR of ${topic} is full`, (ps) => ps[0].leader >= 0 && ps[0].isr.length === setup.nodes);
      return topic;
    };
    const acks = setup.acks === -1 ? 'all' : '1';
    const input = kcatInputFile(options.dir, options.maxRecords, recordSize);
    const kcat = async () => timedRun(onCore(clientCore, ['kcat', '-b', servers.bootstrap, '-t', await freshTopic(), '-p', '0', '-P', '-X', `acks=${acks}`]), { stdinFile: input, timeLimitMs: options.timeLimitMs });
    await kcat(); // warm-up: a fresh broker's first run pays for memory touched the first time
    const maxRecordsPerSec = options.maxRecords / (await kcat()).seconds;

    const runs: LatencyRun[] = [];
    for (const fraction of options.fractions) {
      for (const generator of generators) {
        const rate = Math.max(1, Math.round(fraction * maxRecordsPerSec));
        const records = Math.round(rate * options.seconds);
        const out = (role: string) => path.join(options.dir, `latency-${generator}-${role}.f64`);
        const settings = (role: LoadSettings['role'], seconds: number): string =>
          JSON.stringify({ role, bootstrap: servers.bootstrap, topic, acks: setup.acks, rate, seconds, size: recordSize, warmup: Math.round(rate * options.warmupSeconds), records, lingerMs, out: out(role) } satisfies LoadSettings);
        const topic = await freshTopic();
        const consumer = await startConsumer(onCore(clientCore, [...generatorScripts[generator], settings('consume', options.seconds + consumerGraceSeconds)]), options.timeLimitMs);
        const producer = await timedRun(onCore(clientCore, [...generatorScripts[generator], settings('produce', options.seconds)]), { timeLimitMs: options.timeLimitMs, settle: false }).catch((err) => {
          consumer.kill();
          throw err;
        });
        const produced = JSON.parse(producer.stdout.trim().split('\n').at(-1)!);
        await consumer.done;
        runs.push({
          generator,
          fraction,
          rate,
          sent: produced.sent,
          failed: produced.failed,
          sentPerSec: produced.sent / Math.max(produced.sendSeconds, options.seconds),
          producerBusy: producer.cpuSeconds / producer.seconds,
          produce: summarize(await readLatencies(out('produce'))),
          endToEnd: summarize(await readLatencies(out('consume'))),
        });
      }
    }
    return { maxRecordsPerSec, runs };
  } finally {
    client.close();
    await servers.stop();
  }
}
