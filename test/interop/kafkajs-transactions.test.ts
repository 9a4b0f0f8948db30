/**
 * kafkajs transactions against a real `kb broker start`: a committed
 * transaction with sendOffsets and an aborted one; the group's offset is the
 * one the committed transaction sent, kcat with read_committed reads exactly
 * the committed records, and `kb txn describe` shows the id CompleteAbort.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';

test('kafkajs transactions: commit with sendOffsets, abort', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const broker = await startBroker({ sets: { 'transaction.state.log.num.partitions': 4, 'offsets.topic.num.partitions': 4 } });
  t.after(() => broker.stop());
  const created = await runKb(['topic', 'create', 'kjs-out', '--partitions', '3', '--rf', '1', '-b', broker.address]);
  assert.equal(created.code, 0, created.stderr);
  const kafka = new Kafka({ clientId: 'kb-interop-kafkajs-txn', brokers: [broker.address], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: 'kjs-tx', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  t.after(() => producer.disconnect());
  const committed = await producer.transaction();
  await committed.send({ topic: 'kjs-out', messages: Array.from({ length: 9 }, (_, i) => ({ value: `c-${i}`, partition: i % 3 })) });
  await committed.sendOffsets({ consumerGroupId: 'kjs-group', topics: [{ topic: 'kjs-out', partitions: [{ partition: 0, offset: '77' }] }] });
  await committed.commit();
  const aborted = await producer.transaction();
  await aborted.send({ topic: 'kjs-out', messages: Array.from({ length: 6 }, (_, i) => ({ value: `a-${i}`, partition: i % 3 })) });
  await aborted.abort();

  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const [offsets] = await admin.fetchOffsets({ groupId: 'kjs-group', topics: ['kjs-out'] });
  assert.equal(offsets.partitions.find((p) => p.partition === 0)!.offset, '77');
  const read = await kcatConsumeAll(broker.address, 'kjs-out', ['-X', 'isolation.level=read_committed']);
  assert.deepEqual(read.map((r) => String(r.value)).sort(), Array.from({ length: 9 }, (_, i) => `c-${i}`).sort());
  const described = await runKb(['txn', 'describe', 'kjs-tx', '-b', broker.address, '--json']);
  assert.equal(JSON.parse(described.stdout).state, 'CompleteAbort');
});
