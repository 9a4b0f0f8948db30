/**
 * Fetch v0-3 against a real `kb broker start`: stored v2 batches come back
 * down-converted to the message format those versions know (magic 0 for
 * v0-1, magic 1 for v2-3), checked at the protocol level with kb's own
 * codec and by kafka-python 2.0.2 forced to each old Fetch version. One
 * partition holds an uncompressed batch (with a record header, which the old
 * formats cannot carry) and gzip, snappy and lz4 batches; another a zstd
 * batch, which they cannot carry either (UNSUPPORTED_COMPRESSION_TYPE, as
 * Kafka); a third the uncompressed and gzip batches only, for kafka-python
 * (Debian's python3-kafka comes without snappy and lz4 libraries). Old
 * message sets in work too: kafka-python as a 0.8.2 and a 0.9 producer
 * (Produce v0 and v1, message format v0) is read back with Fetch v0.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { runPythonScript } from '../helpers/python.ts';
import { uniqueTopic } from '../helpers/records.ts';
import { BrokerConnection } from '../../src/net/connection.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { defaultFetchRequest } from '../../src/protocol/generated/fetch-request.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { CompressionCodec } from '../../src/protocol/compression.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { recordBatches } from '../../src/protocol/records/batch-splitter.ts';
import { decodeLegacyMessageSet } from '../../src/protocol/records/legacy-message-set.ts';

const topic = uniqueTopic('down-conversion');
const baseTimestamp = BigInt(Math.floor(Date.now() / 1000) * 1000);
const codecs = [CompressionCodec.none, CompressionCodec.gzip, CompressionCodec.snappy, CompressionCodec.lz4];

interface Expected {
  offset: bigint;
  key: string | null;
  value: string | null;
  timestamp: bigint;
}

/** Batch i (one per codec) holds offsets 3i..3i+2; record j of it: timestamp base + 1000i + [0, 300, 200][j]; a null key, a null value. */
const expected: Expected[] = codecs.flatMap((_, i) =>
  [0, 300, 200].map((delta, j) => ({
    offset: BigInt(3 * i + j),
    key: j === 1 ? null : `k${3 * i + j}`,
    value: j === 2 ? null : `v${3 * i + j}`,
    timestamp: baseTimestamp + BigInt(1000 * i + delta),
  })),
);

let broker: RunningBroker;
let client: BrokerConnection;

function batchOf(i: number, codec: number): Buffer {
  const records = expected.slice(3 * i, 3 * i + 3).map((r, j) => ({
    timestampDelta: r.timestamp - (baseTimestamp + BigInt(1000 * i)),
    key: r.key === null ? null : Buffer.from(r.key),
    value: r.value === null ? null : Buffer.from(r.value),
    headers: j === 0 ? [{ key: 'dropped', value: Buffer.from('by down-conversion') }] : [],
  }));
  return encodeRecordBatch({ baseTimestamp: baseTimestamp + BigInt(1000 * i), records }, codec);
}

async function produce(partition: number, records: Buffer): Promise<void> {
  const response = await client.request(ApiKeys.Produce, 8, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 15_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  assert.equal(response.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
}

async function fetch(version: number, partition: number, fetchOffset: bigint, partitionMaxBytes = 1 << 20, maxBytes = 1 << 20, from = topic) {
  const wanted = { partition, fetchOffset, partitionMaxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n, replicaDirectoryId: Buffer.alloc(16) };
  const response = await client.request(ApiKeys.Fetch, version, {
    ...defaultFetchRequest(),
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    topics: [{ topic: from, topicId: Buffer.alloc(16), partitions: [wanted] }],
  });
  const p = response.responses[0].partitions[0];
  return { errorCode: p.errorCode, records: p.records ?? Buffer.alloc(0) };
}

/** Each top-level entry's offset, magic and attributes. */
function entries(records: Buffer): { offset: bigint; magic: number; attributes: number }[] {
  return [...recordBatches(records)].map(({ bytes, complete }) => {
    assert.ok(complete, 'no cut message at the end');
    return { offset: bytes.readBigInt64BE(0), magic: bytes.readInt8(16), attributes: bytes.readInt8(17) };
  });
}

function decoded(records: Buffer) {
  return decodeLegacyMessageSet(records).records.map((r) => ({
    offset: r.offset,
    key: r.key?.toString() ?? null,
    value: r.value?.toString() ?? null,
    timestamp: r.timestamp,
  }));
}

before(async () => {
  broker = await startBroker();
  client = new BrokerConnection({ host: broker.host, port: broker.port, clientId: 'down-conversion-test', requestTimeoutMs: 30_000, connectTimeoutMs: 5_000 });
  await client.connect();
  const created = await client.request(ApiKeys.CreateTopics, 7, {
    topics: [{ name: topic, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 15_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
  const deadline = Date.now() + 15_000;
  while ((await fetch(12, 0, 0n)).errorCode !== ErrorCode.NONE) {
    assert.ok(Date.now() < deadline, 'the new partitions are served within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const [i, codec] of codecs.entries()) await produce(0, batchOf(i, codec));
  await produce(1, batchOf(0, CompressionCodec.zstd));
  for (const [i, codec] of codecs.slice(0, 2).entries()) await produce(2, batchOf(i, codec));
});
after(async () => {
  client?.close();
  await broker?.stop();
});

for (const version of [0, 1, 2, 3]) {
  const magic = version <= 1 ? 0 : 1;
  test(`Fetch v${version} gets magic-${magic} messages: one per uncompressed record, one wrapper per compressed batch with its codec, offsets and timestamps kept`, async () => {
    const { errorCode, records } = await fetch(version, 0, 0n);
    assert.equal(errorCode, ErrorCode.NONE);
    assert.deepEqual(entries(records), [
      { offset: 0n, magic, attributes: 0 },
      { offset: 1n, magic, attributes: 0 },
      { offset: 2n, magic, attributes: 0 },
      { offset: 5n, magic, attributes: CompressionCodec.gzip },
      { offset: 8n, magic, attributes: CompressionCodec.snappy },
      { offset: 11n, magic, attributes: CompressionCodec.lz4 },
    ]);
    assert.deepEqual(
      decoded(records),
      expected.map((r) => ({ ...r, timestamp: magic === 0 ? -1n : r.timestamp })),
    );
  });
}

test('Fetch v2 from inside a batch starts at the fetch offset, in uncompressed and compressed batches', async () => {
  assert.deepEqual(
    decoded((await fetch(2, 0, 1n)).records).map((r) => r.offset),
    expected.slice(1).map((r) => r.offset),
  );
  assert.deepEqual(
    decoded((await fetch(2, 0, 4n)).records).map((r) => r.offset),
    expected.slice(4).map((r) => r.offset),
  );
});

test('the converted size is what max bytes bound: whole messages only, and at least one', async () => {
  // Record 0 (key k0, value v0) is 38 bytes as a magic-1 message, record 1 (null key) 36.
  const two = await fetch(3, 0, 0n, 38 + 36 + 30);
  assert.equal(two.records.length, 38 + 36);
  assert.deepEqual(decoded(two.records).map((r) => r.offset), [0n, 1n]);
  const one = await fetch(3, 0, 0n, 1, 1);
  assert.deepEqual(decoded(one.records).map((r) => r.offset), [0n]);
  const wrapper = await fetch(2, 0, 3n, 1);
  assert.deepEqual(decoded(wrapper.records).map((r) => r.offset), [3n, 4n, 5n]);
});

test('a zstd batch, which the old formats cannot carry, answers UNSUPPORTED_COMPRESSION_TYPE to Fetch v0-3 only', async () => {
  for (const version of [0, 1, 2, 3]) assert.deepEqual(await fetch(version, 1, 0n), { errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, records: Buffer.alloc(0) }, `v${version}`);
  const modern = await fetch(12, 1, 0n);
  assert.equal(modern.errorCode, ErrorCode.NONE);
  assert.ok(modern.records.length > 0);
});

for (const [apiVersion, fetchVersion] of [
  [[0, 8, 2], 0],
  [[0, 9], 1],
  [[0, 10, 0], 2],
  [[0, 10, 1], 3],
] as const) {
  test(`kafka-python as a ${apiVersion.join('.')} client (Fetch v${fetchVersion}) reads every record, CRCs checked, timestamps as its format carries them`, async (t) => {
    if (!requireTool(t, tools.kafkaPython)) return;
    const out = await runPythonScript<{ records: [number, string | null, string | null, number, number | null][]; error: string | null }>('kafka_python_old_fetch.py', {
      bootstrap: broker.address,
      topic,
      partition: 2,
      apiVersion,
      records: 6,
      timeoutMs: 30_000,
    });
    assert.equal(out.error, null);
    // Magic 0 has no timestamps: kafka-python reports null (and type null) for them.
    const withTimestamps = fetchVersion >= 2;
    assert.deepEqual(
      out.records,
      expected.slice(0, 6).map((r) => [Number(r.offset), r.key, r.value, withTimestamps ? Number(r.timestamp) : null, withTimestamps ? 0 : null]),
    );
  });
}

for (const [apiVersion, compression] of [
  [[0, 8, 2], null],
  [[0, 9], 'gzip'],
] as const) {
  test(`kafka-python as a ${apiVersion.join('.')} producer (message format v0, ${compression ?? 'uncompressed'}) is read back with Fetch v0`, async (t) => {
    if (!requireTool(t, tools.kafkaPython)) return;
    const oldTopic = uniqueTopic('down-conversion-old-producer');
    const created = await client.request(ApiKeys.CreateTopics, 7, {
      topics: [{ name: oldTopic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 15_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
    const records = 50;
    const out = await runPythonScript<{ acked: number; offsets: [number, number] | null; error: string | null }>('kafka_python_legacy_produce.py', {
      bootstrap: broker.address,
      topic: oldTopic,
      records,
      apiVersion,
      compression,
    });
    assert.deepEqual(out, { acked: records, offsets: [0, records - 1], error: null });
    const { errorCode, records: set } = await fetch(0, 0, 0n, 1 << 20, 1 << 20, oldTopic);
    assert.equal(errorCode, ErrorCode.NONE);
    assert.ok(entries(set).every((e) => e.magic === 0));
    assert.deepEqual(
      decoded(set).map((r) => [r.offset, r.value, r.timestamp]),
      Array.from({ length: records }, (_, i) => [BigInt(i), String(i), -1n]),
    );
  });
}
