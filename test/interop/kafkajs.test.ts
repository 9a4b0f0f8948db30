/**
 * kafkajs 2.2.4 against a real `kb broker start`: admin (createTopics,
 * listTopics, fetchTopicMetadata, fetchTopicOffsets,
 * fetchTopicOffsetsByTimestamp) and the producer (keys, headers including a
 * repeated header key, a null value, explicit timestamps, gzip, acks=all,
 * keyed records through the Java-compatible partitioner). The records are
 * read back here with kcat and with @platformatic/kafka's group-less
 * Consumer.fetch; kafkajs' group Consumer is exercised in groups-*.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionTypes, Kafka, Partitioners, logLevel, type Admin, type Message } from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { fetchAll } from '../helpers/platformatic.ts';
import { assertSameRecords, murmur2Partition, uniqueTopic, withOffsets, withTimeout, type Header, type StoredRecord } from '../helpers/records.ts';

const partitions = 3;
let broker: RunningBroker;
let kafka: Kafka;

before(async () => {
  broker = await startBroker();
  kafka = new Kafka({
    clientId: 'kb-interop-kafkajs',
    brokers: [broker.address],
    logLevel: process.env.KB_TEST_DEBUG ? logLevel.DEBUG : logLevel.NOTHING,
    connectionTimeout: 5000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
  });
});
after(async () => {
  await broker?.stop();
});

async function connectedAdmin(t: { after(fn: () => Promise<void>): void }): Promise<Admin> {
  const admin = kafka.admin();
  await withTimeout(admin.connect(), 15_000, 'kafkajs admin.connect');
  t.after(() => admin.disconnect());
  return admin;
}

test('kafkajs admin: createTopics (twice), listTopics, fetchTopicMetadata, fetchTopicOffsets of an empty topic', async (t) => {
  const admin = await connectedAdmin(t);
  const topic = uniqueTopic('kafkajs-admin');
  const created = await withTimeout(
    admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true }),
    15_000,
    'createTopics',
  );
  assert.equal(created, true, 'createTopics reports the topic as created');
  const again = await withTimeout(admin.createTopics({ topics: [{ topic, numPartitions: partitions }] }), 15_000, 'createTopics again');
  assert.equal(again, false, 'creating it again reports it as existing (TOPIC_ALREADY_EXISTS is handled)');

  assert.ok((await admin.listTopics()).includes(topic), 'listTopics includes the topic');
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.equal(metadata.topics.length, 1);
  assert.equal(metadata.topics[0].name, topic);
  assert.deepEqual(
    metadata.topics[0].partitions
      .map((p) => ({ partitionId: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, partitionErrorCode: p.partitionErrorCode }))
      .sort((a, b) => a.partitionId - b.partitionId),
    [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 })),
  );
  assert.deepEqual(
    (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition),
    [0, 1, 2].map((partition) => ({ partition, offset: '0', high: '0', low: '0' })),
  );
});

test('kafkajs producer: keys, headers, a null value, timestamps, gzip and acks=all; every record comes back at its partition and offset', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const admin = await connectedAdmin(t);
  const topic = uniqueTopic('kafkajs-produce');
  await withTimeout(
    admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true }),
    15_000,
    'createTopics',
  );
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await withTimeout(producer.connect(), 15_000, 'producer.connect');
  t.after(() => producer.disconnect());

  const baseTimestamp = Math.floor(Date.now() / 1000) * 1000 - 600_000;
  const sent: Omit<StoredRecord, 'offset'>[] = [];
  const timestamps: number[] = [];
  const batches: Message[][] = [[], []];
  for (let i = 0; i < 40; i++) {
    const key = `order-${i}`;
    const explicit = i % 2 === 0 ? i % partitions : undefined;
    const partition = explicit ?? murmur2Partition(key, partitions);
    const value = i === 9 ? null : JSON.stringify({ i, note: 'grüße', pad: 'z'.repeat(i * 10) });
    const headers: Header[] = [['trace', `t-${i}`], ['tag', 'a'], ['tag', 'b']];
    if (i % 7 === 0) headers.push(['empty', '']);
    const kafkajsHeaders: Record<string, string | string[]> = { trace: `t-${i}`, tag: ['a', 'b'] };
    if (i % 7 === 0) kafkajsHeaders.empty = '';
    batches[i < 25 ? 0 : 1].push({ key, value, partition: explicit, headers: kafkajsHeaders, timestamp: String(baseTimestamp + i * 1000) });
    sent.push({ partition, key, value, headers });
    timestamps.push(baseTimestamp + i * 1000);
  }

  const expected = withOffsets(sent);
  for (const [n, messages] of batches.entries()) {
    const results = await withTimeout(
      producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages }),
      15_000,
      `producer.send #${n}`,
    );
    // baseOffset per partition: the offset of the first record of this send in that partition.
    const firstIndex = n === 0 ? 0 : batches[0].length;
    const here = expected.slice(firstIndex, firstIndex + messages.length);
    const wanted = [...new Set(here.map((r) => r.partition))]
      .map((partition) => ({ partition, errorCode: 0, baseOffset: String(here.find((r) => r.partition === partition)!.offset) }))
      .sort((a, b) => a.partition - b.partition);
    assert.deepEqual(
      results.map((r) => ({ partition: r.partition, errorCode: r.errorCode, baseOffset: r.baseOffset })).sort((a, b) => a.partition - b.partition),
      wanted,
      `send #${n}: per-partition results`,
    );
  }

  assertSameRecords(await kcatConsumeAll(broker.address, topic), expected, 'kafkajs records read by kcat');
  const fetched = await fetchAll(broker.address, topic, partitions);
  assertSameRecords(fetched.records, expected, 'kafkajs records read by @platformatic/kafka Consumer.fetch');
  for (const r of fetched.records) {
    const index = expected.findIndex((e) => e.partition === r.partition && e.offset === r.offset);
    assert.equal(r.timestamp, BigInt(timestamps[index]), `timestamp of partition ${r.partition} offset ${r.offset}`);
  }
  assert.ok(fetched.batchCodecs.every((codec) => codec === 1), `stored batches keep gzip (codec 1): ${fetched.batchCodecs.join(',')}`);

  const offsets = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition);
  assert.deepEqual(
    offsets,
    [0, 1, 2].map((partition) => {
      const high = String(expected.filter((r) => r.partition === partition).length);
      return { partition, offset: high, high, low: '0' };
    }),
    'fetchTopicOffsets after producing',
  );

  // ListOffsets by timestamp: the first offset whose timestamp is >= the query.
  const query = baseTimestamp + 20_500;
  const byTime = (await admin.fetchTopicOffsetsByTimestamp(topic, query)).sort((a, b) => a.partition - b.partition);
  assert.deepEqual(
    byTime,
    [0, 1, 2].map((partition) => {
      const first = expected.find((r, i) => r.partition === partition && timestamps[i] >= query);
      // Kafka answers -1 when no record is that recent; kafkajs then reports the high watermark.
      return { partition, offset: String(first ? first.offset : expected.filter((r) => r.partition === partition).length) };
    }),
    `fetchTopicOffsetsByTimestamp(${query})`,
  );
});
