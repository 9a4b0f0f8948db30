/**
 * The leader recompresses produced batches to the topic's compression.type,
 * over the wire to a real broker:
 * - Produce requests pipelined on one connection, some recompressed (the
 *   wait is asynchronous) and some stored as sent, get offsets in request
 *   order and are stored in that order, every batch in the topic's codec;
 * - a batch that recompressed would pass the topic's max.message.bytes is
 *   MESSAGE_TOO_LARGE (Kafka's answer), while the same batch to a topic
 *   whose codec shrinks it is stored.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { decodeResponse, encodeRequest } from '../../src/protocol/frames.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { CompressionCodec } from '../../src/protocol/compression.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import type { SegmentDump } from '../../src/storage/segment-dump.ts';

let broker: RunningBroker;
const kb = (args: string[]) => runKb(args, { env: { KB_BROKERS: broker.address } });

before(async () => {
  broker = await startBroker();
  const topics: [string, string[]][] = [
    ['piped-gzip', ['compression.type=gzip']],
    ['small-uncompressed', ['compression.type=uncompressed', 'max.message.bytes=100000']],
    ['small-gzip', ['compression.type=gzip', 'max.message.bytes=100000']],
  ];
  for (const [topic, configs] of topics) {
    const created = await kb(['topic', 'create', topic, '--partitions', '1', ...configs.flatMap((c) => ['--config', c])]);
    assert.equal(created.code, 0, created.stderr);
  }
});
after(() => broker?.stop());

const produceFrame = (correlationId: number, topic: string, records: Buffer) =>
  encodeRequest(ApiKeys.Produce, 8, correlationId, 'recompression', {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });

/** A recent timestamp: old ones would roll a segment per batch (segment.ms), and the test reads the first segment. */
const now = () => BigInt(Date.now());

type PartitionAnswer = { errorCode: number; errorMessage: string | null; baseOffset: bigint };

async function answer(client: RawClient, correlationId: number): Promise<PartitionAnswer> {
  const { correlationId: id, body } = decodeResponse(ApiKeys.Produce, 8, (await client.nextFrame(20_000))!) as { correlationId: number; body: any };
  assert.equal(id, correlationId);
  return body.responses[0].partitionResponses[0];
}

async function dump(topic: string): Promise<SegmentDump['entries']> {
  const result = await kb(['log', 'dump', '--json', '--records', path.join(broker.dataDir, 'logs', `${topic}-0`, '00000000000000000000.log')]);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as SegmentDump).entries;
}

test('pipelined produce requests, some recompressed and some not, keep request order', async (t) => {
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  const codecs = [CompressionCodec.zstd, CompressionCodec.gzip, CompressionCodec.none, CompressionCodec.lz4, CompressionCodec.gzip, CompressionCodec.snappy];
  const requests = 30;
  const perBatch = 3;
  const frames: Buffer[] = [];
  for (let i = 0; i < requests; i++) {
    // Larger batches first, so a recompression that finished late would show.
    const value = (r: number) => Buffer.from(`${i}-${r} `.repeat(2000 - 60 * i));
    const records = Array.from({ length: perBatch }, (_, r) => ({ value: value(r) }));
    frames.push(produceFrame(i + 1, 'piped-gzip', encodeRecordBatch({ baseTimestamp: now(), records }, codecs[i % codecs.length])));
  }
  client.write(Buffer.concat(frames));
  for (let i = 0; i < requests; i++) {
    const partition = await answer(client, i + 1);
    assert.equal(partition.errorCode, ErrorCode.NONE, partition.errorMessage ?? '');
    assert.equal(partition.baseOffset, BigInt(perBatch * i), `request ${i + 1}: offsets in request order`);
  }
  const entries = await dump('piped-gzip');
  assert.deepEqual(new Set(entries.map((e) => e.codec)), new Set(['gzip']), 'every batch stored gzip');
  const firstValues = entries.map((e) => e.records![0].value!.split(' ')[0]);
  assert.deepEqual(firstValues, Array.from({ length: requests }, (_, i) => `${i}-0`), 'stored in request order');
});

test('a batch that recompressed passes max.message.bytes is MESSAGE_TOO_LARGE; a codec that keeps it small stores it', async (t) => {
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  // 3 records of 100 KB of zeros: a few hundred bytes in zstd.
  const zeros = encodeRecordBatch({ baseTimestamp: now(), records: Array.from({ length: 3 }, () => ({ value: Buffer.alloc(100_000) })) }, CompressionCodec.zstd);
  assert.ok(zeros.length < 1000);

  client.write(produceFrame(1, 'small-uncompressed', zeros));
  const refused = await answer(client, 1);
  assert.equal(refused.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  assert.match(refused.errorMessage ?? '', /exceeds 100000 bytes, the topic's max\.message\.bytes/);

  client.write(produceFrame(2, 'small-gzip', zeros));
  const stored = await answer(client, 2);
  assert.equal(stored.errorCode, ErrorCode.NONE, stored.errorMessage ?? '');
  const [entry] = await dump('small-gzip');
  assert.equal(entry.codec, 'gzip');
  assert.equal(entry.count, 3);
  assert.ok(entry.valid);
  assert.deepEqual(await dump('small-uncompressed'), [], 'nothing stored for the refused batch');
});
