/**
 * The transaction coordinator moves with the leadership of its
 * __transaction_state partition: on a 3-node cluster a transactional id's
 * producer is initialized twice at its coordinator, that node is killed
 * with -9, and the coordinator a survivor now names knows the id (same
 * producer id, the next epoch: the state was replicated before it was
 * answered) and still fences the old epochs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { addPartitions, createTopic, findCoordinator, initProducerId } from '../helpers/txn-requests.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

async function coordinatorClient(bootstrap: string, transactionalId: string, not: number): Promise<{ nodeId: number; client: RawClient }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [host, port] = bootstrap.split(',')[0].split(':');
    const any = await RawClient.connect(host, Number(port));
    try {
      const found = await findCoordinator(any, transactionalId);
      if (found.errorCode === ErrorCode.NONE && found.nodeId !== not) return { nodeId: found.nodeId, client: await RawClient.connect(found.host, found.port) };
      if (Date.now() > deadline) assert.fail(`no coordinator other than ${not} for ${transactionalId}: ${found.errorCode} ${found.errorMessage}`);
    } finally {
      any.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('the transaction coordinator moves with its __transaction_state partition when its node dies', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'transaction.state.log.num.partitions': 3 } });
  t.after(() => cluster.stop());
  const first = await coordinatorClient(cluster.bootstrap, 'mover', -1);
  t.after(() => first.client.close());
  await waitForPartitions(cluster.bootstrap, '__transaction_state', 'the ISR is full', (ps) => ps.length === 3 && ps.every((p) => p.isr.length === 3));
  const topic = await createTopic(first.client, 1);
  const initial = await initProducerId(first.client, 'mover');
  assert.equal(initial.errorCode, ErrorCode.NONE);
  const bumped = await initProducerId(first.client, 'mover');
  assert.deepEqual([bumped.errorCode, bumped.producerId, bumped.producerEpoch], [ErrorCode.NONE, initial.producerId, 1]);

  await cluster.kill(first.nodeId);
  const survivors = cluster.nodeIds.filter((id) => id !== first.nodeId).map((id) => cluster.address(id)).join(',');
  const next = await coordinatorClient(survivors, 'mover', first.nodeId);
  t.after(() => next.client.close());
  assert.deepEqual(await addPartitions(next.client, 'mover', initial.producerId, 0, [{ name: topic, partitions: [0] }]), [[topic, 0, ErrorCode.PRODUCER_FENCED]]);
  const resumed = await initProducerId(next.client, 'mover');
  assert.deepEqual([resumed.errorCode, resumed.producerId, resumed.producerEpoch], [ErrorCode.NONE, initial.producerId, 2]);
});
