/**
 * Partition appends as leader, pipelined: batches handed over together are
 * written in call order with consecutive offsets (the log may group them
 * into one write), the high watermark covers each answered append, an
 * idempotent producer's pipelined batches are checked against the ones
 * before them (a retry in flight is answered as a duplicate with the
 * original offset, a gap is rejected), and a rejected batch does not stop
 * the ones behind it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { readBatchHeader } from '../../../src/protocol/records/batch-header.ts';
import { appendAsLeader as append, batch, openReplica, partitionRecord } from './helpers.ts';

async function withPartition(t: { after(fn: () => Promise<void>): void }) {
  return (await openReplica(t, 1, partitionRecord({}))).partition;
}

test('pipelined appends get consecutive offsets in call order and the high watermark covers them', async (t) => {
  const partition = await withPartition(t);
  const results = await Promise.all([3, 1, 4, 1, 5].map((n) => append(partition, batch(n))));
  assert.deepEqual(results.map((r) => r.errorCode), [0, 0, 0, 0, 0]);
  assert.deepEqual(results.map((r) => r.baseOffset), [0n, 3n, 4n, 8n, 9n]);
  assert.equal(partition.highWatermark, 14n);
  const read = await partition.readForConsumer(0n, 1 << 20, true);
  const header = readBatchHeader(read.records!.subarray(0));
  assert.equal(header.partitionLeaderEpoch, 3);
});

test("an idempotent producer's pipelined batches are checked against the ones ahead of them", async (t) => {
  const partition = await withPartition(t);
  const producerId = 42n;
  const first = batch(2, { producerId, baseSequence: 0 });
  const results = await Promise.all([
    append(partition, first),
    append(partition, batch(2, { producerId, baseSequence: 2 })),
    append(partition, Buffer.from(first)), // a retry of the first while it is still in flight
    append(partition, batch(1, { producerId, baseSequence: 9 })), // a gap
    append(partition, batch(1)), // another producer's batch behind the rejected one
    append(partition, batch(3, { producerId, baseSequence: 4 })),
  ]);
  assert.deepEqual(
    results.map((r) => [r.errorCode, r.baseOffset]),
    [
      [ErrorCode.NONE, 0n],
      [ErrorCode.NONE, 2n],
      [ErrorCode.NONE, 0n],
      [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, -1n],
      [ErrorCode.NONE, 4n],
      [ErrorCode.NONE, 5n],
    ],
  );
  assert.equal(partition.highWatermark, 8n);
  assert.equal(partition.log.logEndOffset, 8n);
});
