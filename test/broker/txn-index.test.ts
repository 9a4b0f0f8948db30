/**
 * The aborted-transaction index (`.txnindex`) against a real `kb broker
 * start`: transactions spread over many segments (segment.ms=1 rolls at
 * nearly every append), some aborted with their marker segments after
 * their first batch, read by kcat in read_committed; the answer is the same
 * after a clean restart (the indexes on disk, one 34-byte entry per aborted
 * transaction, trusted with the producer-state snapshot) and after a
 * kill -9 (the indexes rebuilt from the log), and again after a clean
 * restart following that rebuild.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { fetchPartition0, plainBatch, produce, startTxnBroker, txnBatch, writeMarker, type TxnBroker } from '../helpers/txn.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';

const topic = 'txnindex';
const rounds = 5;

test('read_committed answers from the .txnindex files are the same after a clean restart and after kill -9', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'kb-txnindex-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  let c: TxnBroker = await startTxnBroker(dataDir);
  t.after(() => c.close());
  const created = await c.client.request(ApiKeys.CreateTopics, 7, {
    topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'segment.ms', value: '1' }] }],
    timeoutMs: 15_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);

  // Per round: an aborted and a committed transaction interleaved with plain records, each ended a few segments after it began.
  const expected: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const [aborted, committed] = [BigInt(100 + 2 * round), BigInt(101 + 2 * round)];
    const send = async (records: Buffer, transactionalId: string | null) => assert.equal((await produce(c.client, topic, records, transactionalId)).errorCode, ErrorCode.NONE);
    const end = async (producerId: bigint, commit: boolean) => assert.equal(await writeMarker(c.peer, topic, { producerId, producerEpoch: 0, commit, coordinatorEpoch: 0 }), ErrorCode.NONE);
    await send(txnBatch(aborted, 0, [`aborted-${round}-1`], 0), 'txn');
    await send(plainBatch([`plain-${round}-1`]), null);
    await send(txnBatch(committed, 0, [`committed-${round}-1`], 0), 'txn');
    await send(txnBatch(aborted, 1, [`aborted-${round}-2`], 0), 'txn');
    await send(plainBatch([`plain-${round}-2`]), null);
    await end(aborted, false);
    await send(txnBatch(committed, 1, [`committed-${round}-2`], 0), 'txn');
    await end(committed, true);
    expected.push(`plain-${round}-1`, `committed-${round}-1`, `plain-${round}-2`, `committed-${round}-2`);
  }
  const readCommitted = async () => {
    const deadline = Date.now() + 30_000; // a restarted broker serves the partition once it leads it again
    while ((await fetchPartition0(c.client, topic, 0n, 1)).errorCode !== ErrorCode.NONE && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    return (await kcatConsumeAll(c.broker.address, topic, ['-X', 'isolation.level=read_committed'])).map((r) => r.value);
  };
  assert.deepEqual(await readCommitted(), expected, 'read_committed before any restart');
  assert.equal((await kcatConsumeAll(c.broker.address, topic, ['-X', 'isolation.level=read_uncommitted'])).length, rounds * 6, 'read_uncommitted reads the aborted records too');

  const partitionDir = path.join(c.broker.dataDir, 'logs', `${topic}-0`);
  const indexBytes = async () => {
    const names = (await readdir(partitionDir)).filter((n) => n.endsWith('.txnindex'));
    return (await Promise.all(names.map((n) => stat(path.join(partitionDir, n))))).reduce((sum, s) => sum + s.size, 0);
  };
  await c.close();
  assert.equal(await indexBytes(), rounds * 34, 'one 34-byte entry per aborted transaction');
  assert.ok((await readdir(partitionDir)).filter((n) => n.endsWith('.log')).length > rounds, 'the transactions span segments');

  c = await startTxnBroker(dataDir);
  assert.deepEqual(await readCommitted(), expected, 'after a clean restart (the indexes on disk)');

  await c.broker.kill();
  c.client.close();
  c.peer.close();
  c = await startTxnBroker(dataDir);
  assert.deepEqual(await readCommitted(), expected, 'after kill -9 (the indexes rebuilt from the log)');
  await c.close();
  assert.equal(await indexBytes(), rounds * 34, 'the rebuilt indexes were written at the clean stop');
  c = await startTxnBroker(dataDir);
  assert.deepEqual(await readCommitted(), expected, 'after a clean restart following the rebuild');
});
