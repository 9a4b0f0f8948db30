/**
 * Bounds on compressed record batches (issue #22), over the wire to real
 * brokers, while kcat keeps producing and consuming:
 * - message.max.records: a small zstd batch of more records is
 *   INVALID_RECORD and appends nothing;
 * - a batch (or a v1 message set) that decompresses past 64 x its topic's
 *   max.message.bytes is INVALID_RECORD and appends nothing;
 * - the bomb, a 6 KB zstd batch of 9.58 M empty records (64 MiB
 *   decompressed; accepted here with message.max.records raised), is walked
 *   in pieces, on Produce and again on ListOffsets by a timestamp no record
 *   has: the broker's peak RSS grows by far less than the 1.4 GiB that
 *   decoding it into record objects took.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { RawConnection } from '../helpers/raw-kafka.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { uniqueTopic } from '../helpers/records.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { compress, CompressionCodec } from '../../src/protocol/compression.ts';
import { legacyMessage, legacyMessageSet } from '../fixtures/legacy-messages.ts';
import { emptyRecordsBatch } from '../helpers/record-bomb.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';

async function connect(t: TestContext, broker: RunningBroker): Promise<RawConnection> {
  const c = await RawConnection.open(broker.host, broker.port);
  t.after(() => c.destroy());
  return c;
}

async function createTopic(c: RawConnection, name: string, configs: Record<string, string> = {}): Promise<void> {
  const { body } = await c.request<any>(ApiKeys.CreateTopics, 4, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  assert.equal(body.topics[0].errorCode, ErrorCode.NONE, `create ${name}`);
}

/** Produce v8 of one batch to partition 0; the partition's answer. The old broker took seconds over the bomb, hence the long timeout. */
async function produce(c: RawConnection, topic: string, batch: Buffer): Promise<{ errorCode: number; errorMessage: string | null }> {
  const { body } = await c.request<any>(ApiKeys.Produce, 8, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }, 60_000);
  return body.responses[0].partitionResponses[0];
}

/** ListOffsets v5 for partition 0 at `timestamp` (-1: the log end). */
async function listOffset(c: RawConnection, topic: string, timestamp: bigint): Promise<bigint> {
  const { body } = await c.request<any>(ApiKeys.ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] }, 60_000);
  const [partition] = body.topics[0].partitions;
  assert.equal(partition.errorCode, ErrorCode.NONE, `ListOffsets of ${topic} at ${timestamp}`);
  return partition.offset;
}

/** kcat produces three records to a new topic and reads them back. */
async function kcatServed(broker: RunningBroker): Promise<void> {
  const topic = uniqueTopic('served');
  await kcatOk(['-b', broker.address, '-P', '-t', topic, '-z', 'zstd'], { input: 'a\nb\nc\n' });
  const read = await kcatOk(['-b', broker.address, '-C', '-t', topic, '-o', 'beginning', '-c', '3', '-e', '-q']);
  assert.deepEqual(read.stdout.trim().split('\n'), ['a', 'b', 'c']);
}

/** The broker's peak resident memory so far, in MiB. */
function peakRssMiB(broker: RunningBroker): number {
  const line = readFileSync(`/proc/${broker.process.pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+) kB/.exec(line ?? '')?.[1]) / 1024;
}

test('a compressed batch of more than message.max.records records is INVALID_RECORD and appends nothing', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const broker = await startBroker({ sets: { 'message.max.records': 100_000 } });
  t.after(() => broker.stop());
  const c = await connect(t, broker);

  const manyRecords = uniqueTopic('many-records');
  await createTopic(c, manyRecords);
  const overCap = emptyRecordsBatch({ count: 150_000, baseTimestamp: BigInt(Date.now()) });
  const refused = await produce(c, manyRecords, overCap);
  assert.equal(refused.errorCode, ErrorCode.INVALID_RECORD, `150,000 records with message.max.records=100000: ${refused.errorMessage}`);
  assert.match(refused.errorMessage ?? '', /150000 records exceeds message\.max\.records 100000/);
  assert.equal(await listOffset(c, manyRecords, -1n), 0n, 'nothing appended');
  assert.equal((await produce(c, manyRecords, emptyRecordsBatch({ count: 100_000, baseTimestamp: BigInt(Date.now()) }))).errorCode, ErrorCode.NONE, 'a batch at the cap is taken');
  await kcatServed(broker);
});

test('a compressed batch decompressing past 64 x its topic\'s max.message.bytes is INVALID_RECORD and appends nothing', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const broker = await startBroker();
  t.after(() => broker.stop());
  const c = await connect(t, broker);
  const smallMessages = uniqueTopic('small-messages');
  await createTopic(c, smallMessages, { 'max.message.bytes': '16384' }); // records may decompress to 64 x 16384 = 1 MiB
  const zeros = (count: number) =>
    encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: count }, () => ({ value: Buffer.alloc(100_000) })) }, CompressionCodec.zstd);
  assert.equal((await produce(c, smallMessages, zeros(10))).errorCode, ErrorCode.NONE, '1,000,000 bytes of records are within the bound');
  const inflating = zeros(11);
  assert.ok(inflating.length < 16384, `the batch itself is small (${inflating.length} bytes)`);
  const refusedInflating = await produce(c, smallMessages, inflating);
  assert.equal(refusedInflating.errorCode, ErrorCode.INVALID_RECORD, `1,100,000 bytes of records: ${refusedInflating.errorMessage}`);
  assert.match(refusedInflating.errorMessage ?? '', /decompressed data exceeds the limit of 1048576 bytes/);
  assert.equal(await listOffset(c, smallMessages, -1n), 10n, 'only the first batch appended');

  // Produce v2 with a v1 gzip message set (old clients): converted whole, within the same bound.
  const legacyZeros = (count: number) => {
    const inner = legacyMessageSet(Array.from({ length: count }, (_, i) => ({ offset: BigInt(i), magic: 1 as const, timestamp: BigInt(Date.now()), key: null, value: Buffer.alloc(100_000) })));
    return legacyMessage({ offset: BigInt(count - 1), magic: 1, attributes: CompressionCodec.gzip, timestamp: BigInt(Date.now()), key: null, value: compress(CompressionCodec.gzip, inner) });
  };
  const legacyProduce = async (set: Buffer) => {
    const { body } = await c.request<any>(ApiKeys.Produce, 2, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: smallMessages, partitionData: [{ index: 0, records: set }] }] });
    return body.responses[0].partitionResponses[0].errorCode;
  };
  assert.equal(await legacyProduce(legacyZeros(10)), ErrorCode.NONE, 'a v1 set of 1,000,000 bytes of messages');
  assert.equal(await legacyProduce(legacyZeros(11)), ErrorCode.INVALID_RECORD, 'a v1 set of 1,100,000 bytes of messages');
  assert.equal(await listOffset(c, smallMessages, -1n), 20n, 'only the first set appended');
  await kcatServed(broker);
});

test("the issue's bomb (6 KB of zstd, 9.58 M empty records) is walked in pieces on Produce and on ListOffsets by timestamp", async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const broker = await startBroker({ sets: { 'message.max.records': 10_000_000 } });
  t.after(() => broker.stop());
  const c = await connect(t, broker);
  const topic = uniqueTopic('bomb');
  await createTopic(c, topic);
  await kcatServed(broker);
  const baseTimestamp = BigInt(Date.now());
  const bomb = emptyRecordsBatch({ count: 9_580_000, baseTimestamp });
  assert.ok(bomb.length < 8 * 1024, `the bomb is small (${bomb.length} bytes)`);
  const peakBefore = peakRssMiB(broker);

  const answer = await produce(c, topic, bomb);
  assert.equal(answer.errorCode, ErrorCode.NONE, answer.errorMessage ?? "");
  // Every record's timestamp is the base; the header's max timestamp (base + 1000) sends the search into the batch, through all its records.
  assert.equal(await listOffset(c, topic, baseTimestamp + 1000n), -1n, 'no record has the max timestamp the header claims');
  assert.equal(await listOffset(c, topic, baseTimestamp), 0n);
  const grownMiB = peakRssMiB(broker) - peakBefore;
  // Record objects took 1.4 GiB; walked in pieces the 64 MiB pass through as garbage, so the bound leaves room for the GC's pace.
  assert.ok(grownMiB < 400, `the broker's peak RSS grew by ${grownMiB.toFixed(0)} MiB`);
  await kcatServed(broker);
});
