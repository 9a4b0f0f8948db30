/**
 * A new transaction coordinator completes the commit its predecessor
 * prepared: on a 3-node cluster a transaction over a partition led by
 * another node is committed (EndTxn answered: PrepareCommit replicated)
 * while that leader is paused, so its markers cannot be written; the
 * coordinator is killed -9 and the leader resumed. The coordinator that
 * takes over records CompleteCommit and a read_committed consumer (kcat)
 * reads the transaction's records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { runKb } from '../helpers/cli.ts';
import { addPartitions, findCoordinator, initProducerId } from '../helpers/txn-requests.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';

test('a new coordinator completes a commit its predecessor prepared', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'transaction.state.log.num.partitions': 3 } });
  t.after(() => cluster.stop());
  const created = await runKb(['topic', 'create', 'data', '--partitions', '1', '--rf', '3', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  const [dataPartition] = await waitForPartitions(cluster.bootstrap, 'data', 'ISR full', (ps) => ps.length === 1 && ps[0].isr.length === 3);
  const leader = dataPartition.leader;
  const [h, p] = cluster.address(leader).split(':');
  const any = await RawClient.connect(h, Number(p));
  let id = '';
  let found: any;
  for (let i = 0; ; i++) {
    found = await findCoordinator(any, `resume-${i}`);
    if (found.errorCode === 0 && found.nodeId !== leader) {
      id = `resume-${i}`;
      break;
    }
  }
  await waitForPartitions(cluster.bootstrap, '__transaction_state', 'ISR full', (ps) => ps.length === 3 && ps.every((x) => x.isr.length === 3));
  const coordinator = found.nodeId;
  const c = await RawClient.connect(found.host, found.port);
  const producer = await initProducerId(c, id);
  assert.deepEqual(await addPartitions(c, id, producer.producerId, producer.producerEpoch, [{ name: 'data', partitions: [0] }]), [['data', 0, 0]]);
  const batch = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: 0, transactional: true, records: [{ value: Buffer.from('v1') }, { value: Buffer.from('v2') }] });
  const produced = await any.request(ApiKeys.Produce, 8, { transactionalId: id, acks: -1, timeoutMs: 5000, topicData: [{ name: 'data', partitionData: [{ index: 0, records: batch }] }] });
  assert.equal(produced.responses[0].partitionResponses[0].errorCode, 0);
  cluster.pause(leader);
  const ended = await c.request(ApiKeys.EndTxn, 3, { transactionalId: id, producerId: producer.producerId, producerEpoch: producer.producerEpoch, committed: true });
  assert.equal(ended.errorCode, 0);
  const [prepared] = (await c.request(ApiKeys.DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates;
  assert.equal(prepared.transactionState, 'PrepareCommit');
  await cluster.kill(coordinator);
  cluster.resume(leader);
  const survivors = cluster.nodeIds.filter((n) => n !== coordinator).map((n) => cluster.address(n)).join(',');
  const deadline = Date.now() + 60_000;
  let state = '';
  while (Date.now() < deadline) {
    const [sh, sp] = survivors.split(',')[0].split(':');
    const s = await RawClient.connect(sh, Number(sp));
    const f = await findCoordinator(s, id);
    s.close();
    if (f.errorCode === 0 && f.nodeId !== coordinator) {
      const c2 = await RawClient.connect(f.host, f.port);
      state = (await c2.request(ApiKeys.DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates[0].transactionState;
      c2.close();
      if (state === 'CompleteCommit') break;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(state, 'CompleteCommit');
  const read = await kcatConsumeAll(survivors.split(',')[0], 'data', ['-X', 'isolation.level=read_committed']);
  assert.deepEqual(read.map((r) => r.value), ['v1', 'v2']);
  any.close();
  c.close();
});
