/**
 * compression.type with real clients (issue #23 item 3): confluent-kafka
 * (librdkafka 2.0.2, every codec) creates a topic of each compression.type,
 * re-sends every config it describes (AlterConfigs, and CreateTopics of a
 * copy), produces with each codec (idempotent producers), then reads
 * every record back; kcat and @platformatic/kafka read the same. `kb log
 * dump` of each partition shows every batch stored in the topic's codec
 * (the producer's for `producer`), CRC valid, with the producer id and sequence it came with
 * (the unit test test/protocol/records/recompress.test.ts checks every
 * header field, the transactional and control flags too). A second broker
 * started with compression.type=zstd gives topics without the config that
 * default.
 * The Python side is scripts/confluent_compression_types.py.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { runPythonScript } from '../helpers/python.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { fetchAll } from '../helpers/platformatic.ts';
import { uniqueTopic } from '../helpers/records.ts';
import type { SegmentDump } from '../../src/storage/segment-dump.ts';

interface ReadRecord {
  offset?: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
  timestamp: number;
}

interface Output {
  /** after and copy only when the configs were re-sent. */
  described: Record<string, { sent: Record<string, string>; after?: Record<string, string>; copy?: Record<string, string> }>;
  adminErrors: string[];
  deliveries: { codec: string; topic: string; offset: number; error: string | null }[];
  expected: Record<string, ReadRecord[]>;
  consumed: Record<string, ReadRecord[]>;
  atEnd: string[];
  consumeErrors: string[];
  clientErrors: string[];
}

const producerCodecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
/** compression.type -> the codec `kb log dump` names for what it stores, null: the producer's. */
const storedAs: Record<string, string | null> = { producer: null, uncompressed: 'none', gzip: 'gzip', snappy: 'snappy', lz4: 'lz4', zstd: 'zstd' };
const recordCount = 12;

let broker: RunningBroker;
let zstdDefault: RunningBroker;

before(async () => {
  [broker, zstdDefault] = await Promise.all([startBroker(), startBroker({ sets: { 'compression.type': 'zstd', 'compression.zstd.level': 7 } })]);
});
after(async () => {
  await Promise.all([broker?.stop(), zstdDefault?.stop()]);
});

async function run(target: RunningBroker, types: string[], resend: boolean): Promise<{ out: Output; topics: Record<string, string> }> {
  const topics = Object.fromEntries(types.map((type) => [type, uniqueTopic(`compression-${type}`)]));
  const out = await runPythonScript<Output>('confluent_compression_types.py', { bootstrap: target.address, topics, codecs: producerCodecs, records: recordCount, resend }, 150_000);
  assert.deepEqual(out.adminErrors, [], 'every config described was accepted back');
  assert.deepEqual(out.deliveries.filter((d) => d.error !== null), [], 'no delivery failed');
  assert.deepEqual(out.consumeErrors, [], 'the consumer saw no errors');
  assert.deepEqual(out.clientErrors, [], 'librdkafka reported no client errors (error_cb)');
  assert.deepEqual(out.atEnd, Object.values(topics).sort(), 'the consumer reached the end of every topic');
  return { out, topics };
}

/** The records of partition 0 of `topic` with their offsets dropped, read by kcat. */
async function kcatRecords(target: RunningBroker, topic: string): Promise<Omit<ReadRecord, 'offset'>[]> {
  const read = await kcatConsumeAll(target.address, topic);
  return read.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp! }));
}

async function dumpBatches(target: RunningBroker, topic: string): Promise<SegmentDump['entries']> {
  const file = path.join(target.dataDir, 'logs', `${topic}-0`, '00000000000000000000.log');
  const dump = await runKb(['log', 'dump', '--json', file]);
  assert.equal(dump.code, 0, dump.stderr);
  return (JSON.parse(dump.stdout) as SegmentDump).entries;
}

function withoutOffsets(records: ReadRecord[]): Omit<ReadRecord, 'offset'>[] {
  return records.map(({ offset: _, ...r }) => r);
}

test('compression.type: every value accepted from a described-and-re-sent config; each producer codec stored as the topic says, records intact', async (t) => {
  if (!requireTool(t, tools.confluentKafka) || !requireTool(t, tools.kcat)) return;
  const { out, topics } = await run(broker, Object.keys(storedAs), true);

  for (const [type, topic] of Object.entries(topics)) {
    const described = out.described[type];
    assert.equal(described.sent['compression.type'], type, `${type}: described as created`);
    for (const name of ['compression.gzip.level', 'compression.lz4.level', 'compression.zstd.level']) assert.ok(name in described.sent, `${name} is described`);
    assert.deepEqual(described.after, described.sent, `${type}: the configs re-sent read back the same`);
    assert.deepEqual(described.copy, described.sent, `${type}: a topic created with the described configs has them`);

    assert.deepEqual(out.consumed[topic].map((r) => r.timestamp), out.expected[topic].map((r) => r.timestamp), `${type}: timestamps kept`);
    assert.deepEqual(withoutOffsets(out.consumed[topic]), out.expected[topic], `${type}: confluent-kafka reads back every record`);
    assert.deepEqual(await kcatRecords(broker, topic), out.expected[topic], `${type}: kcat reads the same`);
    const fetched = await fetchAll(broker.address, topic, 1);
    const platformatic = fetched.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: Number(r.timestamp) }));
    assert.deepEqual(platformatic, out.expected[topic], `${type}: @platformatic/kafka reads the same`);

    const codecAt = new Map<number, string>();
    for (const d of out.deliveries.filter((d) => d.topic === topic)) codecAt.set(d.offset, d.codec);
    const batches = await dumpBatches(broker, topic);
    assert.equal(batches.reduce((n, e) => n + e.count, 0), producerCodecs.length * recordCount, `${type}: every record stored`);
    for (const batch of batches) {
      const sentWith = codecAt.get(batch.baseOffset)!;
      const what = `${type}: batch at ${batch.baseOffset} sent with ${sentWith}`;
      assert.equal(batch.valid, true, `${what}: CRC and checks pass`);
      assert.equal(batch.codec, storedAs[type] ?? sentWith, `${what}: stored codec`);
      assert.ok(batch.producerId >= 0 && batch.baseSequence >= 0, `${what}: producer id ${batch.producerId} and sequence ${batch.baseSequence} kept`);
    }
  }
});

test('compression.type: the broker default (compression.type=zstd) applies to topics without the config', async (t) => {
  if (!requireTool(t, tools.confluentKafka) || !requireTool(t, tools.kcat)) return;
  const { out, topics } = await run(zstdDefault, ['default', 'producer'], false);
  assert.equal(out.described.default.sent['compression.type'], 'zstd', 'described with the broker default');
  assert.equal(out.described.default.sent['compression.zstd.level'], '7');
  for (const [type, topic] of Object.entries(topics)) {
    assert.deepEqual(withoutOffsets(out.consumed[topic]), out.expected[topic], `${type}: records read back`);
    const codecs = new Set((await dumpBatches(zstdDefault, topic)).map((e) => e.codec));
    assert.deepEqual([...codecs].sort(), type === 'default' ? ['zstd'] : [...producerCodecs].sort(), `${type}: stored codecs`);
  }
});
