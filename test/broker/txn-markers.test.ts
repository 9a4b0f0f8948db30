/**
 * The partition side of transactions against a real `kb broker start`
 * with a peer listener, at the protocol level: transactional batches keep
 * the last stable offset at their transaction's first offset until a
 * WriteTxnMarkers (sent as an authenticated peer, as the transaction
 * coordinator does) ends it; read_committed Fetch reads below it and gets
 * the aborted transactions; ListOffsets answers by isolation level;
 * markers fence stale producer and coordinator epochs; clients cannot
 * write markers nor a COMMIT through WriteTxnMarkers; a restart rebuilds it all from
 * the log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RawClient } from '../helpers/raw-client.ts';
import { createTopic, fetchPartition0, markerRequest, now, plainBatch, produce, startTxnBroker, txnBatch, writeMarker, type TxnBroker } from '../helpers/txn.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { encodeMarkerBatch } from '../../src/protocol/records/control-batch.ts';

const topic = 'txn';
const [pidA, pidB, pidC] = [1000n, 2000n, 3000n];
const epoch = 3;

const txn = (producerId: bigint, baseSequence: number, values: string[], producerEpoch = epoch) => txnBatch(producerId, baseSequence, values, producerEpoch);
const send = (c: TxnBroker, records: Buffer) => produce(c.client, topic, records);
const mark = (sender: Parameters<typeof writeMarker>[0], producerId: bigint, commit: boolean, producerEpoch = epoch, coordinatorEpoch = 5) =>
  writeMarker(sender, topic, { producerId, commit, producerEpoch, coordinatorEpoch });

const fetch = (client: RawClient, fetchOffset: bigint, isolationLevel: number) => fetchPartition0(client, topic, fetchOffset, isolationLevel);

async function latestOffset(client: RawClient, isolationLevel: number): Promise<bigint> {
  const response = await client.request(2, 5, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
  const p = response.topics[0].partitions[0];
  assert.equal(p.errorCode, ErrorCode.NONE);
  return p.offset;
}

const uncommitted = 0;
const committed = 1;

test('transaction markers end transactions on a partition: last stable offset, read_committed, fencing, restart', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'kb-txn-markers-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  c = await startTxnBroker(dataDir);
  t.after(() => c.close());
  assert.equal(await createTopic(c.client, topic), ErrorCode.NONE);

  // A's transaction at 0-1, a plain batch at 2: the last stable offset stays at 0.
  assert.equal((await send(c, txn(pidA, 0, ['a1', 'a2']))).errorCode, ErrorCode.NONE);
  assert.equal((await send(c, plainBatch(['p1']))).baseOffset, 2n);
  let read = await fetch(c.client, 0n, committed);
  assert.deepEqual([read.highWatermark, read.lastStableOffset, read.batches], [3n, 0n, []], 'read_committed stops at the open transaction');
  assert.deepEqual((await fetch(c.client, 0n, uncommitted)).batches, [0n, 2n], 'read_uncommitted reads up to the high watermark');
  assert.equal(await latestOffset(c.client, committed), 0n);
  assert.equal(await latestOffset(c.client, uncommitted), 3n);

  // Only a kb node may commit: a client's COMMIT through WriteTxnMarkers and a client's control batch are refused.
  const refused = await c.client.request(27, 1, markerRequest(topic, { producerId: pidA, producerEpoch: epoch, commit: true, coordinatorEpoch: 5 }));
  assert.equal(refused.markers[0].topics[0].partitions[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'a COMMIT marker refused on the client listener');
  const forged = await send(c, encodeMarkerBatch({ producerId: pidA, producerEpoch: epoch, commit: true, coordinatorEpoch: 5 }, now()));
  assert.equal(forged.errorCode, ErrorCode.INVALID_RECORD, 'a client cannot write a marker');
  const noProducer = await send(c, encodeRecordBatch({ baseTimestamp: now(), transactional: true, records: [{ value: Buffer.from('x') }] }));
  assert.equal(noProducer.errorCode, ErrorCode.INVALID_RECORD, 'a transactional batch needs a producer id');
  const noTransactionalId = await produce(c.client, topic, txn(pidB, 0, ['x']), null);
  assert.equal(noTransactionalId.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'a transactional batch needs a transactional id');

  // ABORT: the marker lands at 3, the last stable offset moves to the high watermark, A is reported aborted.
  assert.equal(await mark(c.peer, pidA, false), ErrorCode.NONE);
  read = await fetch(c.client, 0n, committed);
  assert.deepEqual([read.highWatermark, read.lastStableOffset, read.batches], [4n, 4n, [0n, 2n, 3n]]);
  assert.deepEqual(read.abortedTransactions, [{ producerId: pidA, firstOffset: 0n }]);
  assert.equal(await latestOffset(c.client, committed), 4n);

  // B commits at 4-5; a read from 4 holds no aborted transaction.
  assert.equal((await send(c, txn(pidB, 0, ['b1']))).baseOffset, 4n);
  assert.equal(await mark(c.peer, pidB, true), ErrorCode.NONE);
  read = await fetch(c.client, 4n, committed);
  assert.deepEqual([read.lastStableOffset, read.batches, read.abortedTransactions], [6n, [4n, 5n], []]);

  // Fencing: an older coordinator epoch, then a bumped producer epoch shuts out A's old epoch.
  assert.equal(await mark(c.peer, pidA, false, epoch, 4), ErrorCode.TRANSACTION_COORDINATOR_FENCED);
  assert.equal(await mark(c.peer, pidA, false, epoch + 1, 5), ErrorCode.NONE);
  assert.equal((await send(c, txn(pidA, 2, ['zombie']))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'the old epoch is fenced');
  assert.equal(await mark(c.peer, pidA, true, epoch), ErrorCode.INVALID_PRODUCER_EPOCH, 'a marker of the old epoch is refused');

  // C opens a transaction at 7 and the broker restarts: the open transaction and the aborted one are rebuilt from the log.
  assert.equal((await send(c, txn(pidC, 0, ['c1']))).baseOffset, 7n);
  await c.close();
  c = await startTxnBroker(dataDir);
  await waitFor(async () => (await fetch(c.client, 0n, uncommitted)).errorCode === ErrorCode.NONE, 'the partition serves again');
  read = await fetch(c.client, 0n, committed);
  assert.deepEqual([read.highWatermark, read.lastStableOffset], [8n, 7n], 'the open transaction survives the restart');
  assert.deepEqual(read.abortedTransactions, [{ producerId: pidA, firstOffset: 0n }], 'the aborted transaction survives the restart');
  assert.equal(await mark(c.peer, pidC, true), ErrorCode.NONE);
  assert.equal((await fetch(c.client, 7n, committed)).lastStableOffset, 9n);
});

let c: TxnBroker;
async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
