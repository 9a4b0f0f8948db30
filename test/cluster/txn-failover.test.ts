/**
 * Transactions on a replicated partition of a real 3-node cluster, written
 * at the protocol level (transactional batches; markers through
 * WriteTxnMarkers to the leader's peer listener, as the coordinator sends
 * them) and read by kcat (librdkafka) in both isolation levels: markers
 * replicate, so after the leader is killed with -9 the new leader answers
 * the same last stable offset and aborted transactions and takes the open
 * transaction's marker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { partitionsOf, waitForPartitions } from '../helpers/cluster-metadata.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { connectAsPeer } from '../helpers/peer-client.ts';
import { fetchPartition0, plainBatch, produce, txnBatch, writeMarker } from '../helpers/txn.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const topic = 'txr';

test('markers replicate: after kill -9 of the leader the new one keeps read_committed right (kcat in both isolation levels)', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  const created = await runKb(['topic', 'create', topic, '--partitions', '1', '--rf', '3', '--config', 'min.insync.replicas=2', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  await waitForPartitions(cluster.bootstrap, topic, '3 in-sync replicas', (ps) => ps.length === 1 && ps[0].isr.length === 3);

  const connectTo = async (leader: number) => {
    const [host, port] = cluster.address(leader).split(':');
    const [peerHost, peerPort] = cluster.peerAddress(leader).split(':');
    const client = await RawClient.connect(host, Number(port));
    const peer = await connectAsPeer(peerHost, Number(peerPort), 99, leader);
    t.after(() => {
      client.close();
      peer.close();
    });
    return { client, peer };
  };
  const first = (await partitionsOf(cluster.bootstrap, topic))[0].leader;
  let { client, peer } = await connectTo(first);
  const marker = (producerId: bigint, commit: boolean) => writeMarker(peer, topic, { producerId, producerEpoch: 0, commit, coordinatorEpoch: 0 });
  // a1 0, p1 1, b1 2, a2 3, ABORT(1) 4, COMMIT(2) 5, c1 6 (open), p2 7
  for (const batch of [txnBatch(1n, 0, ['a1'], 0), plainBatch(['p1']), txnBatch(2n, 0, ['b1'], 0), txnBatch(1n, 1, ['a2'], 0)]) {
    assert.equal((await produce(client, topic, batch)).errorCode, ErrorCode.NONE);
  }
  assert.equal(await marker(1n, false), ErrorCode.NONE);
  assert.equal(await marker(2n, true), ErrorCode.NONE);
  assert.equal((await produce(client, topic, txnBatch(3n, 0, ['c1'], 0))).errorCode, ErrorCode.NONE);
  assert.equal((await produce(client, topic, plainBatch(['p2']))).errorCode, ErrorCode.NONE);

  const values = async (bootstrap: string, isolation: string) => (await kcatConsumeAll(bootstrap, topic, ['-X', `isolation.level=${isolation}`])).map((r) => r.value);
  assert.deepEqual(await values(cluster.bootstrap, 'read_committed'), ['p1', 'b1'], 'committed records up to the open transaction');
  assert.deepEqual(await values(cluster.bootstrap, 'read_uncommitted'), ['a1', 'p1', 'b1', 'a2', 'c1', 'p2']);

  await cluster.kill(first);
  const survivors = cluster.nodeIds.filter((id) => id !== first).map((id) => cluster.address(id)).join(',');
  await waitForPartitions(survivors, topic, 'another leader', (ps) => ps[0].leader !== -1 && ps[0].leader !== first);
  const next = (await partitionsOf(survivors, topic))[0].leader;
  ({ client, peer } = await connectTo(next));
  const read = await fetchPartition0(client, topic, 0n, 1);
  assert.equal(read.errorCode, ErrorCode.NONE);
  assert.equal(read.lastStableOffset, 6n, 'the open transaction holds the last stable offset at the new leader');
  assert.deepEqual(read.abortedTransactions, [{ producerId: 1n, firstOffset: 0n }]);
  assert.equal(await marker(3n, true), ErrorCode.NONE);
  assert.deepEqual(await values(survivors, 'read_committed'), ['p1', 'b1', 'c1', 'p2'], 'the new leader took the commit');
});
