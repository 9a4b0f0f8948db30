/**
 * A broker restart keeps all data: records produced with acks=all (kcat,
 * plain and compressed batches, keys, headers) come back unchanged, with
 * the same partitions and offsets, from a broker started again on the same
 * data dir, whether the first one stopped cleanly (SIGTERM) or was killed
 * with SIGKILL while `log.flush.interval.messages=1` (flush.messages=1 for
 * every topic: fsync before acknowledging). New records continue at the old
 * end offsets. A kill -9 does not drop the page cache, so the second test
 * checks recovery of a log that was not closed, not the fsync itself. The
 * third checks that without any flush setting the recovery flush
 * (log.recovery.flush.interval.ms) checkpoints what was produced, so the
 * restart after kill -9 re-checks only what lies past it (garbage there is
 * cut).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { readPartitionCheckpoint } from '../../src/storage/checkpoint.ts';
import { nodeStorageFs } from '../../src/storage/fs.ts';
import { startBroker, type BrokerOptions, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { kcatConsumeAll, kcatMetadata, kcatOk } from '../helpers/kcat.ts';
import { assertSameRecords, murmur2Partition, uniqueTopic, withOffsets, withTimeout, type Header, type StoredRecord } from '../helpers/records.ts';

const partitions = 2;

interface Harness {
  dataDir: string;
  /** Starts a broker on the data dir; every broker started is stopped when the test ends, then the data dir is removed. */
  start(options?: BrokerOptions): Promise<RunningBroker>;
}

async function harness(t: { after(fn: () => Promise<void>): void }): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'kb-restart-'));
  const brokers: RunningBroker[] = [];
  t.after(async () => {
    for (const broker of brokers) await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    start: async (options = {}) => {
      const broker = await startBroker({ ...options, dataDir });
      brokers.push(broker);
      return broker;
    },
  };
}

/** Produces `count` keyed records with headers through kcat with acks=all; returns them without offsets. */
async function produce(address: string, topic: string, tag: string, count: number, extra: string[] = []): Promise<Omit<StoredRecord, 'offset'>[]> {
  const headers: Header[] = [['run', tag]];
  const records = Array.from({ length: count }, (_, i) => {
    const key = `${tag}-key-${i}`;
    return { key, value: `${tag} value ${i} ${'r'.repeat(i % 64)}`, partition: murmur2Partition(key, partitions), headers };
  });
  await kcatOk(
    ['-b', address, '-P', '-t', topic, '-K', ':', '-X', 'acks=all', '-X', 'topic.partitioner=murmur2_random', '-H', `run=${tag}`, ...extra],
    { input: records.map((r) => `${r.key}:${r.value}\n`).join('') },
  );
  return records;
}

async function createTopic(address: string, topic: string): Promise<void> {
  const admin = new Kafka({ clientId: 'kb-interop-restart', brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
  await withTimeout(admin.connect(), 15_000, 'admin.connect');
  try {
    const created = await withTimeout(
      admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true }),
      15_000,
      'createTopics',
    );
    assert.equal(created, true);
  } finally {
    await admin.disconnect();
  }
}

async function topicConfig(address: string, topic: string, name: string): Promise<string | undefined> {
  const admin = new Kafka({ clientId: 'kb-interop-restart', brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
  await withTimeout(admin.connect(), 15_000, 'admin.connect');
  try {
    const described = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: [name] }], includeSynonyms: false });
    return described.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
  } finally {
    await admin.disconnect();
  }
}

async function assertTopicShape(address: string, topic: string): Promise<void> {
  const metadata = await kcatMetadata(address, topic);
  assert.deepEqual(
    metadata.topics.map((tp) => ({ topic: tp.topic, error: tp.error, partitions: tp.partitions.map((p) => p.partition).sort() })),
    [{ topic, error: undefined, partitions: [0, 1] }],
    'the topic and its partitions survive the restart',
  );
}

test('restart after SIGTERM: every record comes back with key, value, headers, partition and offset; new ones continue the offsets', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const h = await harness(t);
  const topic = uniqueTopic('restart-clean');

  const first = await h.start();
  await createTopic(first.address, topic);
  const sent = [
    ...(await produce(first.address, topic, 'plain', 150)),
    ...(await produce(first.address, topic, 'gzip', 60, ['-z', 'gzip'])),
    ...(await produce(first.address, topic, 'lz4', 40, ['-z', 'lz4'])),
  ];
  const expected = withOffsets(sent);
  assertSameRecords(await kcatConsumeAll(first.address, topic), expected, 'before the restart');
  await first.stop();
  assert.equal(first.process.exitCode, 0, `clean exit on SIGTERM:\n${first.log()}`);

  // Started with the default num.partitions=1: the topic must keep its own 2 partitions.
  const second = await h.start();
  await assertTopicShape(second.address, topic);
  assertSameRecords(await kcatConsumeAll(second.address, topic), expected, 'after a SIGTERM restart');

  const more = await produce(second.address, topic, 'after', 30, ['-z', 'zstd']);
  const ends = { 0: expected.filter((r) => r.partition === 0).length, 1: expected.filter((r) => r.partition === 1).length };
  const all = [...expected, ...withOffsets(more, ends)];
  assertSameRecords(await kcatConsumeAll(second.address, topic), all, 'records produced after the restart continue the offsets');
  await second.stop();
  assert.equal(second.process.exitCode, 0, `clean exit on SIGTERM:\n${second.log()}`);

  const third = await h.start();
  assertSameRecords(await kcatConsumeAll(third.address, topic), all, 'after a second restart');
});

test('restart after kill -9 with log.flush.interval.messages=1: every acknowledged record comes back', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const h = await harness(t);
  const topic = uniqueTopic('restart-killed');
  const sets = { 'log.flush.interval.messages': 1 };

  const first = await h.start({ sets });
  await createTopic(first.address, topic);
  assert.equal(await topicConfig(first.address, topic, 'flush.messages'), '1', 'the topic inherits flush.messages=1 from the broker');
  const sent = [...(await produce(first.address, topic, 'acked', 120)), ...(await produce(first.address, topic, 'snappy', 40, ['-z', 'snappy']))];
  const expected = withOffsets(sent);
  await first.kill();
  assert.equal(first.process.signalCode, 'SIGKILL');

  const second = await h.start({ sets });
  await assertTopicShape(second.address, topic);
  assertSameRecords(await kcatConsumeAll(second.address, topic), expected, 'after kill -9 and restart');

  const more = await produce(second.address, topic, 'after', 20);
  const ends = { 0: expected.filter((r) => r.partition === 0).length, 1: expected.filter((r) => r.partition === 1).length };
  assertSameRecords(
    await kcatConsumeAll(second.address, topic),
    [...expected, ...withOffsets(more, ends)],
    'records produced after recovery continue the offsets',
  );
});

test('restart after kill -9 with default settings: the recovery flush checkpointed what was produced, recovery cuts only what lies past it', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const h = await harness(t);
  const topic = uniqueTopic('restart-recovery-point');
  const first = await h.start();
  await createTopic(first.address, topic);
  const expected = withOffsets(await produce(first.address, topic, 'unflushed', 80));
  const partitionDir = (p: number) => path.join(h.dataDir, 'logs', `${topic}-${p}`);
  const recoveryPoints = async () => Promise.all([0, 1].map(async (p) => (await readPartitionCheckpoint(nodeStorageFs, partitionDir(p)))?.recoveryPoint));
  const ends = [0, 1].map((p) => expected.filter((r) => r.partition === p).length);
  const deadline = Date.now() + 30_000;
  while (JSON.stringify(await recoveryPoints()) !== JSON.stringify(ends)) {
    assert.ok(Date.now() < deadline, `recovery points ${JSON.stringify(await recoveryPoints())} never reached the ends ${JSON.stringify(ends)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await first.kill();
  const segment = (await readdir(partitionDir(0))).find((f) => f.endsWith('.log'))!;
  await appendFile(path.join(partitionDir(0), segment), Buffer.from('garbage that is not an entry'));

  const second = await h.start();
  assertSameRecords(await kcatConsumeAll(second.address, topic), expected, 'after kill -9 and restart');
  assert.match(second.log(), /truncated 28 bytes at byte \d+/);
});
