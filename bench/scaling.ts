/**
 * How kb's cost grows (issue #29), as four curves on one node, each a small
 * table, a JSON file and an SVG line chart in bench/results/scaling-<time>/:
 * - partitions (lib/scaling-partitions.ts): 1, 16, 256, 4096 partitions,
 *   4 kcat producers: aggregate ingest, broker RSS, open fds, start-up;
 * - clients (lib/scaling-clients.ts): 1, 4, 16 kcat producers, then
 *   consumer groups of 1, 4, 16 kcat -G members, on 16 partitions;
 * - connections (lib/scaling-connections.ts): 0, 100, 1000, 5000 mostly
 *   idle connections: broker RSS and a busy client's produce latency;
 * - recovery (lib/scaling-recovery.ts): 2 GiB over 16 partitions, start
 *   to serving after kill -9 against after a clean stop.
 * compare.ts runs it as its `scaling` section; `npm run bench -- scaling`
 * runs it alone. Options (also compare's): --scaling-records N (200000
 * values of 1 KiB for the partitions and clients curves),
 * --scaling-partitions, --scaling-clients, --scaling-connections (comma
 * lists), --scaling-requests N (2000 busy-client round trips per count),
 * --recovery-mib N (2048), --results D (bench/results), --dir D (OS temp
 * dir, for the brokers' data), --time-limit S per step (600).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderTable } from '../src/cli/output.ts';
import { clientsCurves, type ClientsCurves } from './lib/scaling-clients.ts';
import { connectionsCurve, type ConnectionsPoint } from './lib/scaling-connections.ts';
import { partitionsCurve, type PartitionsPoint } from './lib/scaling-partitions.ts';
import { recovery, type Recovery } from './lib/scaling-recovery.ts';
import { lineChart, type Chart } from './lib/svg-chart.ts';

/** A goal line of the bench's report: reached, not, or null when it could not be measured. */
export interface Goal {
  goal: string;
  reached: boolean | null;
  figure: string;
}

/** A goal as the report prints it. */
export function goalLine(g: Goal): string {
  return `  [${g.reached === null ? ' n/a ' : g.reached ? 'reached' : ' not  '}] ${g.goal}: ${g.figure}`;
}

export interface ScalingResults {
  /** The four tables, ready to print. */
  text: string;
  goals: Goal[];
  json: ScalingJson;
}

interface ScalingJson {
  partitions: PartitionsPoint[] | string;
  clients: ClientsCurves | string;
  connections: ConnectionsPoint[] | string;
  recovery: Recovery | string;
}

export const scalingOptions = {
  'scaling-records': { type: 'string', default: '200000' },
  'scaling-partitions': { type: 'string', default: '1,16,256,4096' },
  'scaling-clients': { type: 'string', default: '1,4,16' },
  'scaling-connections': { type: 'string', default: '0,100,1000,5000' },
  'scaling-requests': { type: 'string', default: '2000' },
  'recovery-mib': { type: 'string', default: '2048' },
  results: { type: 'string', default: path.join(import.meta.dirname, 'results') },
} as const;

export interface ScalingOptions {
  records: number;
  partitions: number[];
  clients: number[];
  connections: number[];
  requests: number;
  recoveryBytes: number;
  timeLimitMs: number;
  resultsDir: string;
}

const recordSize = 1024;
const producersPerPartitionsRun = 4;
const clientsPartitions = 16;
const recoveryPartitions = 16;
const mib = 2 ** 20;

const list = (text: string) => text.split(',').map(Number);

export function scalingOptionsOf(values: Record<string, string | boolean | undefined>): ScalingOptions {
  return {
    records: Number(values['scaling-records']),
    partitions: list(String(values['scaling-partitions'])),
    clients: list(String(values['scaling-clients'])),
    connections: list(String(values['scaling-connections'])),
    requests: Number(values['scaling-requests']),
    recoveryBytes: Number(values['recovery-mib']) * mib,
    timeLimitMs: Number(values['time-limit']) * 1000,
    resultsDir: String(values.results),
  };
}

/** A curve's measurement, or the reason it failed (printed in its place; the other curves still run). */
async function attempt<T>(name: string, measure: () => Promise<T>): Promise<T | string> {
  try {
    return await measure();
  } catch (err) {
    process.stderr.write(`scaling ${name} failed: ${(err as Error).message}\n`);
    return `not available (${(err as Error).message.split('\n')[0].slice(0, 240)})`;
  }
}

export async function runScaling(dir: string, o: ScalingOptions, step: (label: string) => void): Promise<ScalingResults> {
  step(`scaling: partitions ${o.partitions.join('/')}`);
  const partitions = await attempt('partitions', () => partitionsCurve(dir, o.partitions, producersPerPartitionsRun, o.records, recordSize, o.timeLimitMs));
  step(`scaling: producers and consumers ${o.clients.join('/')}`);
  const clients = await attempt('clients', () => clientsCurves(dir, o.clients, clientsPartitions, o.records, recordSize, o.timeLimitMs));
  step(`scaling: connections ${o.connections.join('/')}`);
  const connections = await attempt('connections', () => connectionsCurve(dir, o.connections, o.requests, o.timeLimitMs));
  step(`scaling: recovery of ${(o.recoveryBytes / mib).toFixed(0)} MiB`);
  const recovered = await attempt('recovery', () => recovery(dir, recoveryPartitions, o.recoveryBytes, o.timeLimitMs));
  const json: ScalingJson = { partitions, clients, connections, recovery: recovered };
  const results = { text: text(json), goals: goals(json), json };
  await save(json, o.resultsDir);
  return results;
}

const fixed = (n: number, digits = 0) => n.toFixed(digits);
const percent = (share: number) => `${Math.round(100 * share)}%`;

function text(r: ScalingJson): string {
  const out: string[] = [];
  const section = <T>(title: string, data: T | string, table: (data: T) => string) => out.push('', title, typeof data === 'string' ? `  ${data}` : table(data));
  section(`scaling: partitions on one node, ${producersPerPartitionsRun} kcat producers, 1 KiB, acks=1`, r.partitions, (points) =>
    renderTable(
      ['PARTITIONS', 'RECORDS/S', 'MB/S', 'BROKER BUSY', 'RSS MIB', 'OPEN FDS', 'START S'],
      points.map((p) => [p.partitions, fixed(p.recordsPerSec), fixed(p.mbPerSec, 1), percent(p.brokerBusy), fixed(p.rssMib), p.openFds, fixed(p.startSeconds, 2)]),
    ),
  );
  section(`scaling: clients on ${clientsPartitions} partitions, 1 KiB (kcat -P producers; kcat -G consumers in one group)`, r.clients, (c) =>
    renderTable(
      ['CLIENTS', 'PRODUCE RECORDS/S', 'BROKER BUSY', 'CONSUME RECORDS/S', 'BROKER BUSY'],
      c.producers.map((p, i) => [p.clients, fixed(p.recordsPerSec), percent(p.brokerBusy), c.consumers[i] ? fixed(c.consumers[i].recordsPerSec) : '', c.consumers[i] ? percent(c.consumers[i].brokerBusy) : '']),
    ),
  );
  section('scaling: mostly idle connections, a busy client producing 1 KiB one request at a time', r.connections, (points) =>
    renderTable(
      ['IDLE CONNECTIONS', 'RSS MIB', 'BUSY P50 MS', 'BUSY P99 MS'],
      points.map((p) => [p.connections, fixed(p.rssMib), fixed(p.p50Ms, 2), fixed(p.p99Ms, 2)]),
    ),
  );
  section(`scaling: recovery, ${recoveryPartitions} partitions, start to serving every partition`, r.recovery, (rec) =>
    renderTable(
      ['DATA MIB', 'AFTER KILL -9 S', 'AFTER CLEAN STOP S'],
      [[fixed(rec.bytesWritten / mib), fixed(rec.afterKillSeconds, 2), fixed(rec.afterCleanStopSeconds, 2)]],
    ),
  );
  return out.join('\n').trimStart();
}

function goals(r: ScalingJson): Goal[] {
  const out: Goal[] = [];
  const unmeasured = (goal: string) => out.push({ goal, reached: null, figure: '' });
  if (typeof r.partitions === 'string' || r.partitions.length < 2) {
    unmeasured('most partitions: ingest >= 0.7x 16 partitions, start <= 10 s, RSS <= 1 GB');
  } else {
    const most = r.partitions.at(-1)!;
    const base = r.partitions.find((p) => p.partitions === clientsPartitions) ?? r.partitions[0];
    const ratio = most.recordsPerSec / base.recordsPerSec;
    out.push({ goal: `${most.partitions} partitions ingest >= 0.7x ${base.partitions} partitions`, reached: ratio >= 0.7, figure: `${ratio.toFixed(2)}x` });
    out.push({ goal: `${most.partitions} partitions broker start <= 10 s`, reached: most.startSeconds <= 10, figure: `${most.startSeconds.toFixed(2)} s` });
    out.push({ goal: `${most.partitions} partitions broker RSS <= 1 GB`, reached: most.rssMib <= 1024, figure: `${most.rssMib.toFixed(0)} MiB` });
  }
  if (typeof r.connections === 'string' || r.connections.length < 2) {
    unmeasured('most idle connections: busy p99 within 2x of none');
  } else {
    const [none, most] = [r.connections[0], r.connections.at(-1)!];
    const ratio = most.p99Ms / none.p99Ms;
    out.push({ goal: `${most.connections} idle connections: busy client's p99 <= 2x with ${none.connections}`, reached: ratio <= 2, figure: `${most.p99Ms.toFixed(2)} ms vs ${none.p99Ms.toFixed(2)} ms (${ratio.toFixed(2)}x)` });
  }
  if (typeof r.recovery === 'string') {
    unmeasured('recovery after kill -9 <= 2x a clean restart');
  } else {
    const ratio = r.recovery.afterKillSeconds / r.recovery.afterCleanStopSeconds;
    const size = `${(r.recovery.bytesWritten / mib).toFixed(0)} MiB`;
    out.push({ goal: `recovery after kill -9 <= 2x a clean restart (${size})`, reached: ratio <= 2, figure: `${r.recovery.afterKillSeconds.toFixed(2)} s vs ${r.recovery.afterCleanStopSeconds.toFixed(2)} s (${ratio.toFixed(2)}x)` });
  }
  return out;
}

/** Each curve as JSON and, when it was measured, as an SVG chart in <results>/scaling-<time>/. */
async function save(r: ScalingJson, resultsDir: string): Promise<void> {
  const dir = path.join(resultsDir, `scaling-${new Date().toISOString().replaceAll(':', '-').slice(0, 19)}`);
  await mkdir(dir, { recursive: true });
  for (const [name, data] of Object.entries(r)) await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
  for (const [name, chart] of Object.entries(charts(r))) await writeFile(path.join(dir, `${name}.svg`), lineChart(chart));
  process.stderr.write(`scaling results: ${path.relative(process.cwd(), dir)}\n`);
}

/** The charts of the measured curves (recovery, two figures, has none). */
function charts(r: ScalingJson): Record<string, Chart> {
  const out: Record<string, Chart> = {};
  if (typeof r.partitions !== 'string') {
    const p = r.partitions;
    out.partitions = {
      title: `ingest by partitions (${producersPerPartitionsRun} kcat producers, 1 KiB)`,
      xLabel: 'partitions',
      yLabel: 'MB/s, MiB RSS, s x 100',
      series: [
        { name: 'ingest MB/s', points: p.map((x) => [x.partitions, x.mbPerSec]) },
        { name: 'RSS MiB', points: p.map((x) => [x.partitions, x.rssMib]) },
        { name: 'start s x 100', points: p.map((x) => [x.partitions, x.startSeconds * 100]) },
      ],
    };
  }
  if (typeof r.clients !== 'string') {
    const c = r.clients;
    out.clients = {
      title: `clients on ${clientsPartitions} partitions (1 KiB)`,
      xLabel: 'producers / consumers',
      yLabel: 'records/s',
      series: [
        { name: 'produce records/s', points: c.producers.map((x) => [x.clients, x.recordsPerSec]) },
        { name: 'consume records/s', points: c.consumers.map((x) => [x.clients, x.recordsPerSec]) },
      ],
    };
  }
  if (typeof r.connections !== 'string') {
    const p = r.connections;
    out.connections = {
      title: 'a busy client among idle connections',
      xLabel: 'idle connections',
      yLabel: 'ms, MiB / 100',
      series: [
        { name: 'busy p99 ms', points: p.map((x) => [x.connections, x.p99Ms]) },
        { name: 'busy p50 ms', points: p.map((x) => [x.connections, x.p50Ms]) },
        { name: 'RSS MiB / 100', points: p.map((x) => [x.connections, x.rssMib / 100]) },
      ],
    };
  }
  return out;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { ...scalingOptions, dir: { type: 'string', default: os.tmpdir() }, 'time-limit': { type: 'string', default: '600' } } });
  const dir = await mkdtemp(path.join(values.dir!, 'kb-bench-scaling-'));
  const step = (label: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${label}\n`);
  try {
    const results = await runScaling(dir, scalingOptionsOf(values), step);
    process.stdout.write(`${results.text}\n\ngoals:\n${results.goals.map(goalLine).join('\n')}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
