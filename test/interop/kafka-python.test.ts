/**
 * kafka-python 2.0.2 (Debian python3-kafka) against a real `kb broker
 * start`: KafkaAdminClient.create_topics, KafkaProducer with acks=all, an
 * assigned KafkaConsumer without a group, end_offsets, beginning_offsets and
 * offsets_for_times. Once with the client probing the broker's version (the
 * realistic path: ApiVersions v0 + Metadata v0 pipelined, then version
 * inference, see CLIENTS.md) and once with api_version=(2,5,0) pinned.
 * The Python side is test/interop/scripts/kafka_python_roundtrip.py. As a
 * 0.10 client (legacy message format v1, gzip), kafka-python sends 200k
 * records in one compressed message set, all acknowledged and read back by
 * kcat (kafka_python_legacy_produce.py).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { runPythonScript } from '../helpers/python.ts';
import { kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { runKb } from '../helpers/cli.ts';
import { assertSameRecords, uniqueTopic, withOffsets, type StoredRecord } from '../helpers/records.ts';

interface Produced extends StoredRecord {
  timestamp: number;
  reportedTimestamp: number;
}
interface Consumed extends StoredRecord {
  timestamp: number;
  timestampType: number;
}
interface Output {
  createTopicErrors: [string, number][];
  listTopics: boolean;
  producerApiVersion: number[];
  consumerApiVersion: number[];
  produced: Produced[];
  consumed: Consumed[];
  endOffsets: Record<string, number>;
  beginningOffsets: Record<string, number>;
  offsetsForTimes: Record<string, { query: number; result: { offset: number; timestamp: number } | null }>;
}

const partitions = 3;
const recordCount = 24;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

async function roundTrip(t: { name: string }, apiVersion: number[] | null): Promise<void> {
  const topic = uniqueTopic('kafka-python');
  const baseTimestamp = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const out = await runPythonScript<Output>('kafka_python_roundtrip.py', {
    bootstrap: broker.address,
    topic,
    partitions,
    records: recordCount,
    baseTimestamp,
    apiVersion,
  });

  assert.deepEqual(out.createTopicErrors, [[topic, 0]], 'CreateTopics answered without error');
  assert.equal(out.listTopics, true, 'list_topics shows the new topic');
  if (apiVersion === null) {
    assert.ok(
      out.producerApiVersion[0] > 0 || out.producerApiVersion[1] >= 11,
      `probing found a broker version with record headers (>= 0.11), got ${out.producerApiVersion.join('.')}`,
    );
  }

  // What the broker must have stored: records in send order per partition, offsets from 0.
  const expected = withOffsets(
    out.produced.map(({ partition, key, value, headers }) => ({ partition, key, value, headers })),
  );
  assertSameRecords(out.produced, expected, 'offsets the producer was given (RecordMetadata)');
  assertSameRecords(out.consumed, expected, `${t.name}: records read back by KafkaConsumer`);
  const timestampOf = new Map(out.produced.map((r) => [`${r.partition}/${r.offset}`, r.timestamp]));
  for (const r of out.consumed) {
    assert.equal(r.timestamp, timestampOf.get(`${r.partition}/${r.offset}`), `CreateTime of partition ${r.partition} offset ${r.offset}`);
    assert.equal(r.timestampType, 0, 'timestamp type is CreateTime');
  }
  // An independent reader sees the same log.
  assertSameRecords(await kcatConsumeAll(broker.address, topic), expected, 'the same records read by kcat');

  const endOffsets: Record<string, number> = {};
  const beginningOffsets: Record<string, number> = {};
  for (let p = 0; p < partitions; p++) {
    endOffsets[p] = expected.filter((r) => r.partition === p).length;
    beginningOffsets[p] = 0;
  }
  assert.deepEqual(out.endOffsets, endOffsets, 'end_offsets');
  assert.deepEqual(out.beginningOffsets, beginningOffsets, 'beginning_offsets');

  const byPartition = new Map<number, Produced[]>();
  for (const r of out.produced) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r]);
  for (const [p, answer] of Object.entries(out.offsetsForTimes)) {
    const first = byPartition
      .get(Number(p))!
      .sort((a, b) => a.offset - b.offset)
      .find((r) => r.timestamp >= answer.query);
    assert.deepEqual(
      answer.result,
      first ? { offset: first.offset, timestamp: first.timestamp } : null,
      `offsets_for_times partition ${p} at ${answer.query}`,
    );
  }
}

test('kafka-python (probing the broker version): admin create, produce acks=all, consume, end_offsets, offsets_for_times', async (t) => {
  if (!requireTool(t, tools.kafkaPython)) return;
  await roundTrip(t, null);
});

test('kafka-python (api_version=(2,5,0)): admin create, produce acks=all, consume, end_offsets, offsets_for_times', async (t) => {
  if (!requireTool(t, tools.kafkaPython)) return;
  await roundTrip(t, [2, 5, 0]);
});

test('kafka-python as a 0.10 client: one gzip message set of 200k legacy records is acknowledged whole and read back by kcat', async (t) => {
  if (!requireTool(t, tools.kafkaPython) || !requireTool(t, tools.kcat)) return;
  const topic = uniqueTopic('kafka-python-legacy');
  const created = await runKb(['topic', 'create', topic, '--partitions', '1', '--config', 'max.message.bytes=64000000'], { env: { KB_BROKERS: broker.address } });
  assert.equal(created.code, 0, created.stderr);
  const records = 200_000;
  const out = await runPythonScript<{ acked: number; offsets: [number, number] | null; error: string | null }>('kafka_python_legacy_produce.py', { bootstrap: broker.address, topic, records });
  assert.deepEqual(out, { acked: records, offsets: [0, records - 1], error: null });

  const read = await kcatOk(['-b', broker.address, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%o %s\\n'], { timeoutMs: 60_000 });
  const lines = read.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, records);
  const wrong = lines.filter((line, i) => line !== `${i} ${i}`);
  assert.deepEqual(wrong.slice(0, 3), [], 'kcat reads "offset value" with value = record number, in order');
});
