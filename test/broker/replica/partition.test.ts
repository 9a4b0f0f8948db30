/**
 * Partition appends as leader, pipelined: batches handed over together are
 * written in call order with consecutive offsets (the log may group them
 * into one write), the high watermark covers each answered append, an
 * idempotent producer's pipelined batches are checked against the ones
 * before them (a retry in flight is answered as a duplicate with the
 * original offset, a gap is refused as not yet written, NOT_LEADER_OR_FOLLOWER,
 * also when the batch ahead of it was refused before its producer check),
 * and a rejected batch does not stop the ones behind it.
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
      [ErrorCode.NOT_LEADER_OR_FOLLOWER, -1n],
      [ErrorCode.NONE, 4n],
      [ErrorCode.NONE, 5n],
    ],
  );
  assert.equal(partition.highWatermark, 8n);
  assert.equal(partition.log.logEndOffset, 8n);
});

test('a batch refused for too few in-sync replicas leaves a gap: the next one, checked once the ISR is back, is refused as not yet, then both go in order', async (t) => {
  const { partition, settings } = await openReplica(t, 1, partitionRecord({}));
  const producerId = 42n;
  const next = (baseSequence: number) => batch(1, { producerId, baseSequence });
  assert.equal((await append(partition, next(0), -1)).errorCode, ErrorCode.NONE);
  settings.minInsyncReplicas = 2;
  assert.equal((await append(partition, next(1), -1)).errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
  settings.minInsyncReplicas = 1;
  const gap = await append(partition, next(2), -1);
  assert.deepEqual([gap.errorCode, gap.errorMessage], [ErrorCode.NOT_LEADER_OR_FOLLOWER, "sequence 2 skips sequence 1, which this leader has not written: retry the producer's earlier batches first"]);
  const retried = await Promise.all([append(partition, next(1), -1), append(partition, next(2), -1)]);
  assert.deepEqual(retried.map((r) => [r.errorCode, r.baseOffset]), [[ErrorCode.NONE, 1n], [ErrorCode.NONE, 2n]]);
});
