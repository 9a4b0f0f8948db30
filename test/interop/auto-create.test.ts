/**
 * Topic auto-creation by Metadata, as Kafka answers it: the request that
 * creates a topic gets LEADER_NOT_AVAILABLE and no partitions for it, and
 * the client asks again (kafka-go's delete-topics tests depend on that).
 * Every real client of the interop suite still produces to a topic that
 * does not exist yet: kcat, kafka-python, confluent-kafka, kafkajs and
 * @platformatic/kafka; what each acknowledged is read back with kcat.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { requireTool, tools, type Tool } from '../helpers/tools.ts';
import { kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { runPythonScript } from '../helpers/python.ts';
import { uniqueTopic, withTimeout } from '../helpers/records.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const partitions = 2;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ sets: { 'num.partitions': partitions } });
});
after(async () => {
  await broker?.stop();
});

const values = (topic: string) => Array.from({ length: 6 }, (_, i) => `${topic} value ${i}`);

/** The values kcat reads from `topic`, which must hold the `partitions` partitions auto-creation gives. */
async function readBack(topic: string): Promise<string[]> {
  const records = await kcatConsumeAll(broker.address, topic);
  assert.ok(records.every((r) => r.partition >= 0 && r.partition < partitions));
  return records.map((r) => r.value ?? '').sort();
}

test('a Metadata request that auto-creates a topic answers it LEADER_NOT_AVAILABLE without partitions; the next one describes it', async (t) => {
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  const topic = uniqueTopic('auto-raw');
  const metadata = () =>
    client.request(3, 9, { topics: [{ name: topic }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const first = (await metadata()).topics;
  assert.deepEqual(first.map((r: any) => [r.name, r.errorCode, r.partitions.length]), [[topic, ErrorCode.LEADER_NOT_AVAILABLE, 0]]);
  const second = (await metadata()).topics;
  assert.deepEqual(second.map((r: any) => [r.name, r.errorCode]), [[topic, ErrorCode.NONE]]);
  assert.deepEqual(
    second[0].partitions.map((p: any) => [p.partitionIndex, p.errorCode, p.leaderId]),
    [
      [0, ErrorCode.NONE, 1],
      [1, ErrorCode.NONE, 1],
    ],
  );
});

test('kcat produces to a topic that does not exist yet', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const topic = uniqueTopic('auto-kcat');
  await kcatOk(['-b', broker.address, '-P', '-t', topic, '-X', 'acks=all'], { input: `${values(topic).join('\n')}\n` });
  assert.deepEqual(await readBack(topic), values(topic).sort());
});

for (const [client, tool] of [
  ['kafka-python', tools.kafkaPython],
  ['confluent-kafka', tools.confluentKafka],
] as [string, Tool][]) {
  test(`${client} produces to a topic that does not exist yet`, async (t) => {
    if (!requireTool(t, tool) || !requireTool(t, tools.kcat)) return;
    const topic = uniqueTopic(`auto-${client}`);
    const out = await runPythonScript<{ acked: [string, number, number][]; errors: string[] }>('auto_create_produce.py', {
      client,
      bootstrap: broker.address,
      topic,
      values: values(topic),
    });
    assert.deepEqual(out.errors, []);
    assert.deepEqual(out.acked.map((a) => a[0]).sort(), values(topic).sort(), 'every record acknowledged');
    assert.deepEqual(await readBack(topic), values(topic).sort());
  });
}

test('kafkajs produces to a topic that does not exist yet', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const kafka = new Kafka({ clientId: 'kb-interop-auto', brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await withTimeout(producer.connect(), 15_000, 'kafkajs producer.connect');
  t.after(() => producer.disconnect());
  const topic = uniqueTopic('auto-kafkajs');
  await withTimeout(producer.send({ topic, acks: -1, messages: values(topic).map((value) => ({ value })) }), 20_000, 'kafkajs producer.send');
  assert.deepEqual(await readBack(topic), values(topic).sort());
});

test('@platformatic/kafka produces to a topic that does not exist yet', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const producer = new Producer({ clientId: 'kb-interop-auto', bootstrapBrokers: [broker.address], autocreateTopics: true, serializers: stringSerializers, retries: 5, retryDelay: 200 });
  t.after(() => producer.close());
  const topic = uniqueTopic('auto-platformatic');
  await withTimeout(producer.send({ messages: values(topic).map((value) => ({ topic, value })), acks: -1 }), 20_000, 'Producer.send');
  assert.deepEqual(await readBack(topic), values(topic).sort());
});
