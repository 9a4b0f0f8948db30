/**
 * The reassignment planner refuses a replication factor larger than the
 * brokers it may place on, on a real 3-node cluster: `kb partitions
 * reassign --to` with fewer brokers than a topic's replicas, and `kb
 * partitions balance` once a broker is fenced, exit 1 naming the topic and
 * change nothing (the planner used to leave replicas on the missing broker).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { runKb } from '../helpers/cli.ts';
import { Cluster } from '../../src/client/cluster.ts';

/** The live brokers `address` lists in its metadata; [] when it cannot answer. */
async function liveBrokers(address: string): Promise<number[]> {
  const [host, port] = address.split(':');
  const cluster = new Cluster({ bootstrap: [{ host, port: Number(port) }], requestTimeoutMs: 5_000, connectTimeoutMs: 1_000 });
  try {
    return [...(await cluster.refreshMetadata([])).brokers.keys()].sort();
  } catch {
    return [];
  } finally {
    cluster.close();
  }
}

test('reassign --to and balance refuse a topic with more replicas than target brokers (exit 1)', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  const kb = (args: string[], bootstrap = cluster.bootstrap) => runKb([...args, '-b', bootstrap], { timeoutMs: 60_000 });
  const created = await kb(['topic', 'create', 'wide', '--partitions', '2', '--rf', '3']);
  assert.equal(created.code, 0, created.stderr);
  await waitForPartitions(cluster.bootstrap, 'wide', 'every partition has 3 in-sync replicas', (ps) => ps.every((p) => p.isr.length === 3));

  const reassign = await kb(['partitions', 'reassign', '--topic', 'wide', '--to', '1,2', '--dry-run']);
  assert.equal(reassign.code, 1, reassign.stdout + reassign.stderr);
  assert.match(reassign.stderr, /topic 'wide' has 3 replicas per partition but only 2 target broker\(s\)/);

  await cluster.kill(3);
  const survivors = [cluster.address(1), cluster.address(2)].join(',');
  await waitForPartitions(survivors, 'wide', 'node 3 left every ISR', (ps) => ps.every((p) => !p.isr.includes(3) && p.leader !== -1));
  const deadline = Date.now() + 30_000;
  for (const id of [1, 2]) {
    while ((await liveBrokers(cluster.address(id))).join() !== '1,2') {
      assert.ok(Date.now() < deadline, `node ${id} lists node 3 as fenced`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const balance = await kb(['partitions', 'balance', '--topic', 'wide', '--execute'], survivors);
  assert.equal(balance.code, 1, balance.stdout + balance.stderr);
  assert.match(balance.stderr, /topic 'wide' has 3 replicas per partition but only 2 target broker\(s\)/);
  const status = await kb(['partitions', 'reassign', '--status', '--json'], survivors);
  assert.deepEqual(JSON.parse(status.stdout), { reassignments: [] }, 'nothing started');
});
