/**
 * kb bench produce / kb bench consume, a small smoke run against a broker
 * started here: the topic is created with --partitions, every record is
 * acknowledged and read back, --json has the documented keys with
 * consistent figures, and the human summary names records/s, MB/s and the
 * latency percentiles. Throughput is not asserted (benchmarks measure it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';

let broker: RunningBroker;
const kb = (args: string[]) => runKb(args, { env: { KB_BROKERS: broker.address } });

before(async () => {
  broker = await startBroker();
});
after(() => broker?.stop());

test('bench produce creates the topic, sends every record and reports throughput and latency as JSON', async () => {
  const r = await kb(['bench', 'produce', '--topic', 'perf', '--records', '2000', '--record-size', '64', '--acks', '1', '--partitions', '2', '--linger-ms', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.records, 2000);
  assert.equal(result.bytes, 2000 * 64);
  assert.equal(result.failed, 0);
  assert.ok(result.seconds > 0);
  assert.ok(Math.abs(result.recordsPerSec - 2000 / result.seconds) < 1e-6 * result.recordsPerSec);
  assert.ok(Math.abs(result.mbPerSec - (2000 * 64) / 2 ** 20 / result.seconds) < 1e-6 * result.mbPerSec);
  const l = result.latency;
  assert.equal(l.count, 2000);
  assert.ok(l.p50Ms <= l.p95Ms && l.p95Ms <= l.p99Ms && l.p99Ms <= l.p999Ms && l.p999Ms <= l.maxMs, JSON.stringify(l));
  assert.ok(l.avgMs > 0 && l.avgMs <= l.maxMs);

  const described = await kb(['topic', 'describe', 'perf', '--json']);
  assert.equal(described.code, 0, described.stderr);
  assert.equal(JSON.parse(described.stdout).partitions.length, 2);
});

test('bench consume reads the topic to its end and a throttled produce keeps to its rate cap', async () => {
  const produced = await kb(['bench', 'produce', '--topic', 'paced', '--records', '300', '--record-size', '10', '--throughput', '1000']);
  assert.equal(produced.code, 0, produced.stderr);
  assert.match(produced.stdout, /^300 records sent in [\d.]+ s: [\d.]+ records\/s \([\d.]+ MB\/s\)\nlatency ms: avg [\d.]+, p50 [\d.]+, p95 [\d.]+, p99 [\d.]+, p99.9 [\d.]+, max [\d.]+\n$/);
  const seconds = Number(/in ([\d.]+) s/.exec(produced.stdout)![1]);
  assert.ok(seconds >= 0.29, `300 records at 1000/s cannot finish in ${seconds} s`);

  const consumed = await kb(['bench', 'consume', '--topic', 'paced', '--json']);
  assert.equal(consumed.code, 0, consumed.stderr);
  const result = JSON.parse(consumed.stdout);
  assert.equal(result.records, 300);
  assert.equal(result.bytes, 300 * 10);
  assert.equal(result.complete, true);
  assert.ok(result.fetches >= 1);

  const human = await kb(['bench', 'consume', '--topic', 'paced', '--records', '100']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^\d+ records consumed in [\d.]+ s with \d+ fetches: [\d.]+ records\/s \([\d.]+ MB\/s\)\n$/);
});

test('bench consume of a missing topic fails naming it', async () => {
  const r = await kb(['bench', 'consume', '--topic', 'nope']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /topic 'nope' does not exist/);
});
