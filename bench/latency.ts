/**
 * Latency at fixed throughput (`npm run bench -- latency`, also part of the
 * default `npm run bench`): 1 KB records, 1 partition, on a single node with
 * acks=1 (broker on the server core) and on 3 nodes, rf=3, acks=all (nodes
 * left to the scheduler: three servers do not fit one core), each at 10%,
 * 50% and 80% of that setup's maximum measured first in the same run (kcat,
 * lib/latency.ts), driven open loop by kb's client and by librdkafka.
 * Prints one table (produce and end-to-end p50/p99/p99.9/max in ms from
 * HDR histograms) and the goals reached or not, and writes the results to
 * bench/results/latency-<time>.json. Options: --seconds S per run (10),
 * --warmup S left out of each run (2), --max-records N for the maximum
 * (200000), --fractions 0.1,0.5,0.8, --dir D (OS temp dir), --time-limit S
 * per step (600), --results D (bench/results). Small values make a smoke
 * run (the test suite's).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderTable } from '../src/cli/output.ts';
import { startBroker } from '../test/helpers/broker.ts';
import { startCluster } from '../test/helpers/cluster.ts';
import { latencyOf, type LatencyRun, type LatencySummary, type Setup, type SetupResult } from './lib/latency.ts';
import { ensureDebianPackages } from './lib/processes.ts';

const setups: Record<string, Setup> = {
  'single node, acks=1': {
    nodes: 1,
    acks: 1,
    pinServers: true,
    start: async () => {
      const broker = await startBroker();
      return { bootstrap: broker.address, pids: [broker.process.pid!], stop: () => broker.stop() };
    },
  },
  '3 nodes rf=3, acks=all': {
    nodes: 3,
    acks: -1,
    pinServers: false,
    start: async () => {
      const cluster = await startCluster({ nodes: 3 });
      return { bootstrap: cluster.bootstrap, pids: cluster.nodeIds.map((id) => cluster.node(id).process.pid!), stop: () => cluster.stop() };
    },
  },
};

interface Goal {
  setup: string;
  fraction: number;
  what: 'produce' | 'endToEnd';
  p99MsMax: number;
}

const goals: Goal[] = [
  { setup: 'single node, acks=1', fraction: 0.5, what: 'produce', p99MsMax: 5 },
  { setup: '3 nodes rf=3, acks=all', fraction: 0.5, what: 'produce', p99MsMax: 15 },
  { setup: '3 nodes rf=3, acks=all', fraction: 0.5, what: 'endToEnd', p99MsMax: 20 },
];

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      'max-records': { type: 'string', default: '200000' },
      fractions: { type: 'string', default: '0.1,0.5,0.8' },
      dir: { type: 'string', default: os.tmpdir() },
      'time-limit': { type: 'string', default: '600' },
      results: { type: 'string', default: path.join(import.meta.dirname, 'results') },
    },
  });
  if (!ensureDebianPackages(['kcat'], ['kcat'])) throw new Error('kcat is missing and could not be installed');
  const dir = await mkdtemp(path.join(values.dir!, 'kb-bench-latency-'));
  const options = {
    dir,
    fractions: values.fractions!.split(',').map(Number),
    maxRecords: Number(values['max-records']),
    seconds: Number(values.seconds),
    warmupSeconds: Number(values.warmup),
    timeLimitMs: Number(values['time-limit']) * 1000,
  };
  const results: Record<string, SetupResult> = {};
  try {
    for (const [name, setup] of Object.entries(setups)) {
      process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] latency: ${name}\n`);
      results[name] = await latencyOf(setup, options);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${report(results)}\n`);
  await saveResults(values.results!, { options: { ...options, dir: undefined }, results });
}

/** Below this share of the rate asked for, the row says the generator could not keep up (its latencies then measure that too). */
const keptUpShare = 0.95;

function note(run: LatencyRun): string {
  const notes = [`producer busy ${Math.round(100 * run.producerBusy)}%`];
  if (run.sentPerSec < keptUpShare * run.rate) notes.push(`sent only ${Math.round(run.sentPerSec)}/s: generator-limited`);
  if (run.failed > 0) notes.push(`${run.failed} of ${run.sent} failed`);
  return notes.join(', ');
}

const figures = (l: LatencySummary) => [l.p50Ms, l.p99Ms, l.p999Ms, l.maxMs].map((ms) => ms.toFixed(ms < 10 ? 2 : 1)).join(' / ');

function report(results: Record<string, SetupResult>): string {
  const rows = Object.entries(results).flatMap(([name, r]) =>
    r.runs.map((run) => [
      name,
      `${Math.round(run.fraction * 100)}% of ${Math.round(r.maxRecordsPerSec)}`,
      run.rate,
      run.generator,
      figures(run.produce),
      figures(run.endToEnd),
      note(run),
    ]),
  );
  const out = [
    `latency at fixed throughput, 1 KB records, 1 partition (node ${process.version}, ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0].toFixed(2)} at the end)`,
    renderTable(['SETUP', 'LOAD (REC/S)', 'RECORDS/S', 'CLIENT', 'PRODUCE MS p50 / p99 / p99.9 / max', 'END-TO-END MS p50 / p99 / p99.9 / max', 'NOTE'], rows),
    'maximum: kcat ingest of the setup; latency from each record\'s intended send time (open loop); end-to-end: to the consumer\'s poll; HDR histograms',
    '',
    'goals:',
  ];
  for (const goal of goals) {
    const r = results[goal.setup];
    for (const generator of ['kb', 'librdkafka'] as const) {
      const run = r?.runs.find((x) => x.fraction === goal.fraction && x.generator === generator);
      const p99 = run?.[goal.what].p99Ms;
      const state = p99 === undefined ? ' n/a ' : p99 <= goal.p99MsMax ? 'reached' : ' not  ';
      const what = goal.what === 'produce' ? 'produce' : 'end-to-end';
      const limited = run !== undefined && run.sentPerSec < keptUpShare * run.rate ? ' (generator-limited)' : '';
      out.push(`  [${state}] ${goal.setup}, ${goal.fraction * 100}% load, ${generator}: ${what} p99 <= ${goal.p99MsMax} ms: ${p99 === undefined ? '' : `${p99} ms${limited}`}`);
    }
  }
  return out.join('\n');
}

async function saveResults(dir: string, results: object): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `latency-${new Date().toISOString().replaceAll(':', '-').slice(0, 19)}.json`);
  await writeFile(file, `${JSON.stringify({ node: process.version, cpus: os.availableParallelism(), loadAverage: os.loadavg(), ...results }, null, 2)}\n`);
  process.stdout.write(`results: ${path.relative(process.cwd(), file)}\n`);
}
