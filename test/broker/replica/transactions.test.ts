/**
 * Transactions on partition replicas (real logs, in-process replication):
 * markers replicate and a new leader answers the same last stable offset
 * and aborted transactions; a follower that truncates a marker away has
 * the transaction open again; a reopened partition rebuilds both from its
 * log. And the transaction table on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { encodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { TransactionTable } from '../../../src/broker/replica/transactions.ts';
import type { Partition } from '../../../src/broker/replica/partition.ts';
import { appendAsLeader, openReplica, partitionRecord, replicate } from './helpers.ts';
import { readdir, rm } from 'node:fs/promises';
import { writeAtomically } from '../../../src/storage/checkpoint.ts';
import { nodeStorageFs } from '../../../src/storage/fs.ts';
import path from 'node:path';

const txnBatch = (producerId: bigint, baseSequence: number, records: number) =>
  encodeRecordBatch({
    baseTimestamp: BigInt(Date.now()),
    producerId,
    producerEpoch: 0,
    baseSequence,
    transactional: true,
    records: Array.from({ length: records }, (_, i) => ({ value: Buffer.from(`t${i}`) })),
  });
const marker = (producerId: bigint, commit: boolean) => ({ producerId, producerEpoch: 0, commit, coordinatorEpoch: 1 });
/** The aborted transactions a read_committed read of [from, to) gets, without their indexed last stable offsets. */
const abortedIn = async (partition: Partition, from: bigint, to: bigint) =>
  (await partition.abortedTransactions(from, to)).map(({ producerId, firstOffset, lastOffset }) => ({ producerId, firstOffset, lastOffset }));

test('markers replicate: a new leader has the same last stable offset and aborted transactions', async (t) => {
  const epoch1 = partitionRecord({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 1 });
  const { partition: a } = await openReplica(t, 1, epoch1);
  const { partition: b } = await openReplica(t, 2, epoch1);
  await appendAsLeader(a, txnBatch(7n, 0, 2)); // 0-1, aborted at 2
  assert.equal((await a.appendMarker(marker(7n, false))).errorCode, ErrorCode.NONE);
  await appendAsLeader(a, txnBatch(8n, 0, 1)); // 3, open
  await replicate(a, b, 2);
  await replicate(a, b, 2);
  assert.equal(a.highWatermark, 4n);
  assert.equal(a.lastStableOffset, 3n);

  b.applyState({ ...epoch1, isr: [2], leader: 2, leaderEpoch: 2, partitionEpoch: 1 });
  assert.equal(b.lastStableOffset, 3n, 'the open transaction carried over');
  assert.deepEqual(await abortedIn(b, 0n, 4n), [{ producerId: 7n, firstOffset: 0n, lastOffset: 2n }]);
  assert.equal((await b.appendMarker(marker(8n, true))).errorCode, ErrorCode.NONE);
  assert.equal(b.lastStableOffset, 5n);
  assert.deepEqual(await abortedIn(b, 3n, 5n), [], 'a commit is not an abort');
});

test('a marker ends its transaction for readers only once the high watermark passes it', async (t) => {
  const state = partitionRecord({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 1 });
  const { partition: a } = await openReplica(t, 1, state);
  const { partition: b } = await openReplica(t, 2, state);
  await appendAsLeader(a, txnBatch(7n, 0, 2)); // 0-1
  await replicate(a, b, 2);
  await replicate(a, b, 2);
  assert.equal(a.highWatermark, 2n);
  assert.equal((await a.appendMarker(marker(7n, true))).errorCode, ErrorCode.NONE); // 2, not replicated yet
  assert.equal(a.log.logEndOffset, 3n);
  assert.equal(a.lastStableOffset, 0n, 'a new leader without the marker would have the transaction open');
  await replicate(a, b, 2);
  await replicate(a, b, 2);
  assert.equal(a.highWatermark, 3n);
  assert.equal(a.lastStableOffset, 3n);
});

test('a follower that truncates a marker away has its transaction open again', async (t) => {
  const epoch1 = partitionRecord({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 1 });
  const { partition: a } = await openReplica(t, 1, epoch1);
  const { partition: b } = await openReplica(t, 2, epoch1);
  await appendAsLeader(a, txnBatch(7n, 0, 2)); // 0-1
  await replicate(a, b, 2);
  await replicate(a, b, 2);
  // b leads epoch 2 and writes other data; a's marker at 2 (epoch 1) never reached b.
  await a.appendMarker(marker(7n, true));
  const epoch2 = { ...epoch1, isr: [2], leader: 2, leaderEpoch: 2, partitionEpoch: 1 };
  b.applyState(epoch2);
  a.applyState(epoch2);
  await appendAsLeader(b, encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ value: Buffer.from('x') }] }));
  assert.equal(await replicate(b, a, 1), 'diverged');
  assert.equal(a.log.logEndOffset, 2n);
  assert.equal(await replicate(b, a, 1), 'fetched');
  assert.equal(a.lastStableOffset, 0n, 'the truncated marker no longer ends the transaction');
});

test('a reopened partition rebuilds its open and aborted transactions from the log', async (t) => {
  const state = partitionRecord({});
  const { partition, reopen } = await openReplica(t, 1, state);
  await appendAsLeader(partition, txnBatch(7n, 0, 2));
  await partition.appendMarker(marker(7n, false));
  await appendAsLeader(partition, txnBatch(8n, 0, 1));
  const reopened = await reopen();
  assert.equal(reopened.lastStableOffset, 3n);
  assert.deepEqual(await abortedIn(reopened, 0n, 4n), [{ producerId: 7n, firstOffset: 0n, lastOffset: 2n }]);
});

test('the transaction table: open, abort, commit, truncate, settle, snapshot', () => {
  const table = new TransactionTable();
  table.recordData(1n, 0n);
  table.recordData(1n, 5n); // same transaction
  table.recordData(2n, 3n);
  assert.equal(table.firstUnstableOffset(10n), 0n);
  assert.deepEqual(table.recordMarker(1n, false, 6n), { producerId: 1n, firstOffset: 0n, lastOffset: 6n, commit: false });
  assert.equal(table.firstOpenOffset(), 3n, "2's transaction is still open");
  table.recordMarker(2n, true, 7n);
  assert.equal(table.recordMarker(3n, true, 8n), null, 'no open transaction: ends nothing');
  assert.equal(table.firstOpenOffset(), null);
  assert.equal(table.firstUnstableOffset(7n), 3n, "2's commit marker is not below the high watermark yet");
  assert.equal(table.firstUnstableOffset(8n), null);
  table.truncateTo(7n);
  assert.equal(table.firstUnstableOffset(7n), 3n, "2's commit was truncated: open again");
  table.recordMarker(2n, true, 7n);
  assert.equal(TransactionTable.fromSnapshot(table.toSnapshot()).firstUnstableOffset(7n), 3n, 'the snapshot keeps the unsettled marker');
  table.settledBelow(8n);
  table.truncateTo(7n);
  assert.equal(table.firstUnstableOffset(8n), null, 'a settled commit is forgotten, not reopened');
  assert.throws(() => TransactionTable.fromSnapshot({ open: [], aborted: [], committed: [] }), /not an array/, "an older snapshot's shape");
});

test('a clean restart restores producers and transactions from the snapshot without reading the log', async (t) => {
  const { partition, restart } = await openReplica(t, 1, partitionRecord({}));
  const idempotent = txnBatch(9n, 0, 2);
  await appendAsLeader(partition, txnBatch(7n, 0, 2)); // 0-1
  await partition.appendMarker(marker(7n, false)); // 2
  await appendAsLeader(partition, Buffer.from(idempotent)); // 3-4, open
  const restarted = await restart({
    opened: (log) => {
      log.batchHeaders = () => {
        throw new Error('the log was scanned');
      };
    },
  });
  assert.equal(restarted.lastStableOffset, 3n);
  assert.deepEqual(await abortedIn(restarted, 0n, 5n), [{ producerId: 7n, firstOffset: 0n, lastOffset: 2n }]);
  const retry = await appendAsLeader(restarted, Buffer.from(idempotent));
  assert.equal(retry.baseOffset, 3n, 'a retried batch is still a duplicate');
  assert.equal((await restarted.appendMarker({ ...marker(7n, true), producerEpoch: -1 })).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'epochs survive');
});

test('a snapshot is trusted only after a clean shutdown, and the open removes it', async (t) => {
  const { partition, restart, dir } = await openReplica(t, 1, partitionRecord({}));
  await appendAsLeader(partition, txnBatch(7n, 0, 2));
  // A crash right after the close wrote the snapshot, before the clean-shutdown marker.
  let scanned = false;
  const crashed = await restart({
    closed: () => rm(path.join(dir, '.clean-shutdown')),
    opened: (log) => {
      const headers = log.batchHeaders.bind(log);
      log.batchHeaders = (from) => {
        scanned = true;
        return headers(from);
      };
    },
  });
  assert.equal(scanned, true, 'the partition read the log');
  assert.equal(crashed.lastStableOffset, 0n, 'rebuilt from the log');
  assert.deepEqual((await readdir(dir)).filter((n) => n.includes('snapshot')), [], 'the snapshot file is gone once the log is open');
});

test('a snapshot that does not decode is logged and the tables are rebuilt from the log', async (t) => {
  const { partition, restart, dir, logs } = await openReplica(t, 1, partitionRecord({}));
  await appendAsLeader(partition, txnBatch(7n, 0, 2));
  const restarted = await restart({
    closed: () => writeAtomically(nodeStorageFs, dir, 'producer-state.snapshot', { version: 1, endOffset: 2, state: { producers: [['not a number', 0, 0, []]], transactions: {} } }),
  });
  assert.equal(restarted.lastStableOffset, 0n, 'rebuilt from the log');
  assert.ok(logs.some((line) => line.includes('unreadable producer-state snapshot')), logs.join('\n'));
});
