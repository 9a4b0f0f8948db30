/**
 * @platformatic/kafka 2.x against a real `kb broker start`: Admin
 * (createTopics v7, listTopics, metadata v9 as CLIENTS.md describes), an
 * idempotent Producer sending with every codec it has (none, gzip, snappy,
 * lz4, zstd), and its group-less Consumer.fetch/listOffsets reading it all
 * back. Its streaming Consumer.consume() joins a consumer group, which comes
 * with a later issue, so it is not used here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, stringSerializers, type CompressionAlgorithmValue } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { fetchAll } from '../helpers/platformatic.ts';
import { assertSameRecords, uniqueTopic, withOffsets, withTimeout, type StoredRecord } from '../helpers/records.ts';

const partitions = 2;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

const base = { clientId: 'kb-interop-platformatic', retries: 2, retryDelay: 200, timeout: 10_000 };

async function createTopic(t: { after(fn: () => Promise<void>): void }, topic: string): Promise<Admin> {
  const admin = new Admin({ ...base, bootstrapBrokers: [broker.address] });
  t.after(() => admin.close());
  const created = await withTimeout(admin.createTopics({ topics: [topic], partitions, replicas: 1 }), 15_000, 'Admin.createTopics');
  assert.equal(created.length, 1);
  assert.equal(created[0].name, topic);
  assert.equal(created[0].partitions, partitions);
  return admin;
}

test('platformatic Admin: createTopics, listTopics, metadata with this broker as leader of every partition', async (t) => {
  const topic = uniqueTopic('platformatic-admin');
  const admin = await createTopic(t, topic);
  assert.ok((await admin.listTopics()).includes(topic), 'listTopics includes the topic');
  const metadata = await admin.metadata({ topics: [topic] });
  assert.deepEqual([...metadata.brokers.entries()].map(([nodeId, b]) => ({ nodeId, host: b.host, port: b.port })), [
    { nodeId: 1, host: broker.host, port: broker.port },
  ]);
  assert.equal(metadata.controllerId, 1);
  const described = metadata.topics.get(topic);
  assert.ok(described, 'the topic is in the metadata');
  assert.equal(described.partitionsCount, partitions);
  assert.deepEqual(
    described.partitions.map((p) => ({ leader: p.leader, replicas: p.replicas, isr: p.isr })),
    Array.from({ length: partitions }, () => ({ leader: 1, replicas: [1], isr: [1] })),
  );
});

test('platformatic idempotent Producer with every codec; Consumer.fetch reads every record back at its partition and offset', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const topic = uniqueTopic('platformatic-produce');
  await createTopic(t, topic);
  const producer = new Producer({ ...base, bootstrapBrokers: [broker.address], idempotent: true, serializers: stringSerializers });
  t.after(() => producer.close());

  const sent: Omit<StoredRecord, 'offset'>[] = [];
  const codecs: CompressionAlgorithmValue[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  for (const compression of codecs) {
    const messages = Array.from({ length: 8 }, (_, i) => ({
      topic,
      partition: i % partitions,
      key: `${compression}-${i}`,
      value: `${compression} value ${i} ${'≈'.repeat(i * 30)}`,
      headers: { codec: compression, index: String(i) },
    }));
    const before = withOffsets(sent);
    const nextOffset = (p: number) => before.filter((r) => r.partition === p).length;
    const result = await withTimeout(producer.send({ messages, compression }), 15_000, `Producer.send with ${compression}`);
    assert.deepEqual(
      (result.offsets ?? []).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })).sort((a, b) => a.partition - b.partition),
      Array.from({ length: partitions }, (_, p) => ({ topic, partition: p, offset: BigInt(nextOffset(p)) })),
      `send with ${compression}: base offset per partition`,
    );
    for (const m of messages) {
      sent.push({ partition: m.partition, key: m.key, value: m.value, headers: [['codec', compression], ['index', m.headers.index]] });
    }
  }

  const expected = withOffsets(sent);
  const fetched = await fetchAll(broker.address, topic, partitions);
  assertSameRecords(fetched.records, expected, 'records read by Consumer.fetch');
  assert.deepEqual(
    fetched.endOffsets,
    Array.from({ length: partitions }, (_, p) => BigInt(expected.filter((r) => r.partition === p).length)),
    'Consumer.listOffsets: the end of every partition',
  );
  assert.deepEqual(
    [...new Set(fetched.batchCodecs)].sort(),
    [0, 1, 2, 3, 4],
    'the broker stored and served batches of every codec as produced',
  );
  assertSameRecords(await kcatConsumeAll(broker.address, topic), expected, 'the same records read by kcat');

  const consumer = new Consumer({ ...base, groupId: 'kb-interop-unused', bootstrapBrokers: [broker.address] });
  t.after(() => consumer.close(true));
  const earliest = await consumer.listOffsets({ topics: [topic], timestamp: -2n });
  assert.deepEqual(earliest.get(topic), Array.from({ length: partitions }, () => 0n), 'ListOffsets(earliest)');
});
