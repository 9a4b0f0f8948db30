/**
 * Group consumers of kafka-python 2.0.2, kafkajs 2.2.4 and
 * @platformatic/kafka against a real `kb broker start`: each subscribes to
 * a 3-partition topic in its own group, reads it to the end with its
 * client's commit behaviour (kafka-python: commit() then close; kafkajs:
 * eachMessage with auto-commit; platformatic: autocommit stream), and the
 * commits show in `kb group describe` as committed = log end, zero lag.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { runPythonScript } from '../helpers/python.ts';
import { uniqueTopic, withTimeout } from '../helpers/records.ts';
import { until } from '../helpers/group-member.ts';

const partitions = 3;
const recordCount = 150;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ sets: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000 } });
});
after(async () => {
  await broker?.stop();
});

/** A fresh topic holding `recordCount` records with distinct values. */
async function filledTopic(prefix: string): Promise<{ topic: string; values: string[] }> {
  const topic = uniqueTopic(prefix);
  const created = await runKb(['topic', 'create', topic, '--partitions', String(partitions), '-b', broker.address]);
  assert.equal(created.code, 0, created.stderr);
  const values = Array.from({ length: recordCount }, (_, i) => `${prefix}-${i}`);
  await kcatOk(['-b', broker.address, '-P', '-t', topic, '-K', ':'], { input: values.map((v) => `${v}:${v}`).join('\n') + '\n' });
  return { topic, values };
}

/** `kb group describe` shows every partition committed at its log end. */
async function assertCaughtUp(group: string, topic: string): Promise<void> {
  const described = await runKb(['group', 'describe', group, '--json', '-b', broker.address]);
  assert.equal(described.code, 0, described.stderr);
  const json = JSON.parse(described.stdout);
  assert.equal(json.group, group);
  assert.equal(json.totalLag, 0, described.stdout);
  const rows = json.partitions.filter((p: { topic: string }) => p.topic === topic);
  assert.equal(rows.length, partitions, described.stdout);
  for (const row of rows) {
    assert.equal(row.committedOffset, row.logEndOffset, `partition ${row.partition} committed at its log end`);
    assert.equal(row.lag, 0);
  }
  assert.equal(rows.reduce((sum: number, r: { logEndOffset: number }) => sum + r.logEndOffset, 0), recordCount);
}

test('kafka-python: a group consumer reads the topic to the end and its commits show with zero lag', async (t) => {
  if (!requireTool(t, tools.kafkaPython)) return;
  const { topic, values } = await filledTopic('groups-kafka-python');
  const group = `${topic}-group`;
  const out = await runPythonScript<{ consumed: [number, number, string][]; assignment: number[]; committed: Record<string, number> }>(
    'kafka_python_group.py',
    { bootstrap: broker.address, topic, group, records: recordCount, timeoutMs: 30_000 },
  );
  assert.deepEqual(out.assignment, [0, 1, 2], 'the only member is assigned every partition');
  assert.deepEqual(out.consumed.map((r) => r[2]).sort(), [...values].sort(), 'every record consumed once');
  const ends = new Map<number, number>();
  for (const [partition, offset] of out.consumed) ends.set(partition, Math.max(offset + 1, ends.get(partition) ?? 0));
  assert.deepEqual(
    Object.entries(out.committed).map(([p, o]) => [Number(p), o]),
    [...ends].sort((a, b) => a[0] - b[0]),
    'committed() reads back what was committed',
  );
  await assertCaughtUp(group, topic);
});

test('kafkajs: eachMessage with auto-commit reads the topic to the end and its commits show with zero lag', async (t) => {
  const { topic, values } = await filledTopic('groups-kafkajs');
  const group = `${topic}-group`;
  const kafka = new Kafka({
    clientId: 'kb-interop-kafkajs-group',
    brokers: [broker.address],
    logLevel: process.env.KB_TEST_DEBUG ? logLevel.DEBUG : logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 500 });
  t.after(() => consumer.disconnect());
  await withTimeout(consumer.connect(), 15_000, 'kafkajs consumer.connect');
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push(message.value!.toString());
    },
  });
  await until(() => seen.length >= recordCount, 30_000, 'kafkajs to consume every record', () => `seen ${seen.length}`);
  await withTimeout(consumer.disconnect(), 15_000, 'kafkajs consumer.disconnect');
  assert.deepEqual([...seen].sort(), [...values].sort(), 'every record consumed once');
  await assertCaughtUp(group, topic);
});

test('@platformatic/kafka: an autocommit consume stream reads the topic to the end and its commits show with zero lag', async (t) => {
  const { topic, values } = await filledTopic('groups-platformatic');
  const group = `${topic}-group`;
  const consumer = new Consumer({
    groupId: group,
    clientId: 'kb-interop-platformatic-group',
    bootstrapBrokers: [broker.address],
    deserializers: stringDeserializers,
    retries: 3,
    retryDelay: 200,
    timeout: 10_000,
  });
  t.after(() => consumer.close(true));
  const stream = await withTimeout(
    consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true, sessionTimeout: 10_000, heartbeatInterval: 500 }),
    15_000,
    'platformatic consume',
  );
  const seen: string[] = [];
  stream.on('data', (message) => seen.push(message.value as string));
  await until(() => seen.length >= recordCount, 30_000, 'platformatic to consume every record', () => `seen ${seen.length}`);
  await withTimeout(stream.close(), 15_000, 'platformatic stream.close');
  await withTimeout(consumer.close(true), 15_000, 'platformatic consumer.close');
  assert.deepEqual([...seen].sort(), [...values].sort(), 'every record consumed once');
  await assertCaughtUp(group, topic);
});
