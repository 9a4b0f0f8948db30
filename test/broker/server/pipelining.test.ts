/**
 * Produce requests pipelined on one connection (as librdkafka sends them):
 * the broker overlaps them, yet answers in request order with offsets in
 * request order, sends nothing for acks=0 ones, and a Fetch sent right
 * behind them is handled only after them, so it sees every record.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../helpers/broker.ts';
import { runKb } from '../../helpers/cli.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { decodeResponse, encodeRequest } from '../../../src/protocol/frames.ts';
import { encodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { producePipelineMax } from '../../../src/broker/server/connection.ts';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
  const created = await runKb(['topic', 'create', 'piped', '--partitions', '1'], { env: { KB_BROKERS: broker.address } });
  assert.equal(created.code, 0, created.stderr);
});
after(() => broker?.stop());

const produceBody = (acks: number, records: number, tag: number) => ({
  transactionalId: null,
  acks,
  timeoutMs: 5000,
  topicData: [
    {
      name: 'piped',
      partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: 1n, records: Array.from({ length: records }, (_, i) => ({ value: Buffer.from(`${tag}-${i}`), offsetDelta: i })) }) }],
    },
  ],
});

test('pipelined produce requests are answered in order with offsets in request order; a fetch behind them sees them all', async (t) => {
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  const requests = 3 * producePipelineMax;
  const frames: Buffer[] = [];
  for (let i = 1; i <= requests; i++) frames.push(encodeRequest(0, 8, i, 'pipe', produceBody(i === 5 ? 0 : 1, 3, i)));
  const fetchId = requests + 1;
  frames.push(
    encodeRequest(1, 11, fetchId, 'pipe', {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 'piped', topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
      forgottenTopicsData: [],
      rackId: '',
    }),
  );
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
