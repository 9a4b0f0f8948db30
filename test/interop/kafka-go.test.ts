/**
 * segmentio/kafka-go 0.2.1 (Debian golang-github-segmentio-kafka-go-dev, Go
 * from golang-go) against a real `kb broker start` and a 3-node cluster.
 * kafka-go 0.2.1 produces with Produce v2 (message format v1) and reads
 * with Fetch v2, so it needs the broker to down-convert its stored batches
 * (before that it failed with `unsupported message version 2 found in fetch
 * response` and retried forever). The Go program (test/interop/kafka-go/,
 * built once per run into a temporary directory) writes with a Writer,
 * reads every partition with a Reader without a group, then reads and
 * commits everything with a Reader in a consumer group; the commits show in
 * `kb group describe` with zero lag.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker } from '../helpers/broker.ts';
import { startCluster } from '../helpers/cluster.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { buildKafkaGoClient, runKafkaGoClient } from '../helpers/kafka-go.ts';
import { runKb } from '../helpers/cli.ts';
import { uniqueTopic } from '../helpers/records.ts';

interface Output {
  written: number;
  /** Per partition: [offset, key, value, time in ms]. */
  partitions: Record<string, [number, string, string, number][]>;
  /** [partition, offset, value] in the order the group reader got them. */
  group: [number, number, string][];
  error: string | null;
}

const partitions = 3;
const records = 60;
const groupSettings = { 'group.initial.rebalance.delay.ms': 0 };

let buildDir: string | undefined;
let built: Promise<string> | undefined;
after(async () => {
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

/** The kafka-go program, built on first use; null when Go or kafka-go is missing (and the test was skipped). */
async function kafkaGoClient(t: TestContext): Promise<string | null> {
  if (!requireTool(t, tools.kafkaGo)) return null;
  built ??= mkdtemp(path.join(os.tmpdir(), 'kb-kafka-go-')).then((dir) => buildKafkaGoClient((buildDir = dir)));
  return built;
}

/** Creates the topic, runs the program and checks what it wrote and read, and the group's commits. */
async function roundTrip(binary: string, brokers: string[], codec: string, replicationFactor: number): Promise<void> {
  const bootstrap = brokers.join(',');
  const topic = uniqueTopic(`kafka-go-${codec || 'none'}`);
  const group = `${topic}-group`;
  const created = await runKb(['topic', 'create', topic, '--partitions', String(partitions), '--rf', String(replicationFactor), '-b', bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  const started = Date.now();
  const out = await runKafkaGoClient<Output>(binary, { brokers, topic, partitions, records, codec, group, timeoutMs: 60_000 });
  const ended = Date.now();
  assert.equal(out.error, null);
  assert.equal(out.written, records);

  assert.deepEqual(Object.keys(out.partitions).sort(), ['0', '1', '2']);
  const values: number[] = [];
  for (const [partition, read] of Object.entries(out.partitions)) {
    assert.deepEqual(
      read.map(([offset]) => offset),
      read.map((_, i) => i),
      `partition ${partition} is read at consecutive offsets from 0`,
    );
    for (const [offset, key, value, time] of read) {
      assert.equal(key, `k${value}`, `partition ${partition} offset ${offset}: key and value belong together`);
      assert.ok(time >= started - 1_000 && time <= ended + 1_000, `partition ${partition} offset ${offset}: timestamp ${time} is the write time`);
      values.push(Number(value));
    }
  }
  assert.deepEqual(
    values.sort((a, b) => a - b),
    Array.from({ length: records }, (_, i) => i),
    'every written record is read once',
  );

  const byPartition = Object.entries(out.partitions).flatMap(([partition, read]) => read.map(([offset, , value]) => `${partition}:${offset}:${value}`));
  assert.deepEqual(out.group.map(([partition, offset, value]) => `${partition}:${offset}:${value}`).sort(), byPartition.sort(), 'the group reader gets the same records');

  const described = await runKb(['group', 'describe', group, '--json', '-b', bootstrap]);
  assert.equal(described.code, 0, described.stderr);
  const json = JSON.parse(described.stdout);
  assert.equal(json.totalLag, 0, described.stdout);
  assert.equal(json.partitions.filter((p: { topic: string }) => p.topic === topic).length, partitions, described.stdout);
}

test('kafka-go 0.2.1 against one broker: Writer, Reader per partition and consumer-group Reader, uncompressed, gzip and lz4', async (t) => {
  const binary = await kafkaGoClient(t);
  if (binary === null) return;
  const broker = await startBroker({ sets: groupSettings });
  t.after(() => broker.stop());
  for (const codec of ['', 'gzip', 'lz4']) await roundTrip(binary, [broker.address], codec, 1);
});

test('kafka-go 0.2.1 against a 3-node cluster: partitions replicated on all three, snappy', async (t) => {
  const binary = await kafkaGoClient(t);
  if (binary === null) return;
  const cluster = await startCluster({ nodes: 3, sets: groupSettings });
  t.after(() => cluster.stop());
  await roundTrip(binary, cluster.nodeIds.map((id) => cluster.address(id)), 'snappy', 3);
});
