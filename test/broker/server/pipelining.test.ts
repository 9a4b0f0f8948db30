/**
 * Produce requests pipelined on one connection (as librdkafka sends them):
 * the broker overlaps them, yet answers in request order with offsets in
 * request order (compressed ones, whose records are checked while they
 * decompress, included), sends nothing for acks=0 ones, and a Fetch sent right
 * behind them is handled only after them, so it sees every record. Large
 * ones (joined from many socket chunks into reused buffers) are stored
 * byte for byte.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../helpers/broker.ts';
import { runKb } from '../../helpers/cli.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { fetchPartition0 } from '../../helpers/fetch-request.ts';
import { decodeResponse, encodeRequest } from '../../../src/protocol/frames.ts';
import { decodeRecordBatch, encodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { producePipelineMax } from '../../../src/limits.ts';
import { CompressionCodec } from '../../../src/protocol/compression.ts';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
  for (const topic of ['piped', 'large']) {
    const created = await runKb(['topic', 'create', topic, '--partitions', '1'], { env: { KB_BROKERS: broker.address } });
    assert.equal(created.code, 0, created.stderr);
  }
});
after(() => broker?.stop());

const produceBody = (acks: number, records: number, tag: number, topic = 'piped', value = (i: number) => Buffer.from(`${tag}-${i}`), codec: number = CompressionCodec.none) => ({
  transactionalId: null,
  acks,
  timeoutMs: 5000,
  topicData: [
    {
      name: topic,
      partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: 1n, records: Array.from({ length: records }, (_, i) => ({ value: value(i), offsetDelta: i })) }, codec) }],
    },
  ],
});


test('pipelined produce requests are answered in order with offsets in request order; a fetch behind them sees them all', async (t) => {
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  const requests = 3 * producePipelineMax;
  const frames: Buffer[] = [];
  const codecs = [CompressionCodec.none, CompressionCodec.zstd, CompressionCodec.gzip];
  for (let i = 1; i <= requests; i++) frames.push(encodeRequest(0, 8, i, 'pipe', produceBody(i === 5 ? 0 : 1, 3, i, 'piped', undefined, codecs[i % codecs.length])));
  const fetchId = requests + 1;
  frames.push(encodeRequest(1, 11, fetchId, 'pipe', fetchPartition0('piped', 1 << 20)));
  client.write(Buffer.concat(frames));

  for (let i = 1; i <= requests; i++) {
    if (i === 5) continue; // acks=0: no response
    const { correlationId, body } = decodeResponse(0, 8, (await client.nextFrame())!) as { correlationId: number; body: any };
    assert.equal(correlationId, i);
    const partition = body.responses[0].partitionResponses[0];
    assert.equal(partition.errorCode, 0);
    assert.equal(partition.baseOffset, BigInt(3 * (i - 1)));
  }
  const fetched = decodeResponse(1, 11, (await client.nextFrame())!) as { correlationId: number; body: any };
  assert.equal(fetched.correlationId, fetchId);
  assert.equal(fetched.body.responses[0].partitions[0].highWatermark, BigInt(3 * requests));
});

test('large pipelined produce requests, each many socket chunks, are stored byte for byte', async (t) => {
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  const requests = 3 * producePipelineMax;
  const recordsPerRequest = 20;
  const value = (request: number, record: number) => Buffer.alloc(10_000 + request * 37 + record, `${request}/${record};`);
  const frames: Buffer[] = [];
  for (let i = 1; i <= requests; i++) {
    frames.push(encodeRequest(0, 8, i, 'pipe', produceBody(i % 7 === 0 ? 0 : 1, recordsPerRequest, i, 'large', (r) => value(i, r))));
  }
  client.write(Buffer.concat(frames));
  for (let i = 1; i <= requests; i++) {
    if (i % 7 === 0) continue;
    const { body } = decodeResponse(0, 8, (await client.nextFrame())!) as { body: any };
    assert.equal(body.responses[0].partitionResponses[0].errorCode, 0, `request ${i}`);
  }
  for (let i = 1; i <= requests; i++) {
    client.write(encodeRequest(1, 11, requests + i, 'pipe', fetchPartition0('large', 1 << 20, { fetchOffset: BigInt((i - 1) * recordsPerRequest) })));
    const fetched = decodeResponse(1, 11, (await client.nextFrame())!) as { body: any };
    const records: Buffer = fetched.body.responses[0].partitions[0].records;
    const batch = decodeRecordBatch(records.subarray(0, records.readInt32BE(8) + 12));
    assert.equal(batch.baseOffset, BigInt((i - 1) * recordsPerRequest));
    assert.equal(batch.records.length, recordsPerRequest);
    batch.records.forEach((r, record) => assert.ok(r.value!.equals(value(i, record)), `request ${i} record ${record}`));
  }
});
