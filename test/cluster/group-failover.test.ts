/**
 * The group coordinator moves with the leadership of its __consumer_offsets
 * partition: a confluent-kafka group commits what it read on a 3-node
 * cluster, the coordinator's node is killed with -9, and a new member of the
 * group (on the surviving nodes) resumes from the committed offsets: it reads
 * exactly the records produced afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { GroupMember, until } from '../helpers/group-member.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { Cluster } from '../../src/client/cluster.ts';

const group = 'moving';

async function produce(bootstrap: string, label: string, count: number): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `${label}-${i}`);
  await kcatOk(['-b', bootstrap, '-P', '-t', 'events', '-X', 'acks=all'], { input: `${values.join('\n')}\n` });
  return values;
}

async function coordinatorOf(bootstrap: string): Promise<number> {
  const [host, port] = bootstrap.split(',')[0].split(':');
  const cluster = new Cluster({ bootstrap: [{ host, port: Number(port) }], clientId: 'kb-cluster-test' });
  try {
    const connection = await cluster.anyBroker();
    const response = await connection.request(10, 3, { key: group, keyType: 0, coordinatorKeys: [] });
    assert.equal(response.errorCode, 0, `FindCoordinator: ${response.errorMessage}`);
    return response.nodeId as number;
  } finally {
    cluster.close();
  }
}

test('committed offsets and the group move with the __consumer_offsets leadership when the coordinator dies', { timeout: 180_000 }, async (t) => {
  if (!requireTool(t, tools.confluentKafka) || !requireTool(t, tools.kcat)) return;
  const cluster = await startCluster({
    nodes: 3,
    sets: { ...fastFailover, 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000, 'offsets.topic.num.partitions': 6 },
  });
  t.after(() => cluster.stop());
  const created = await runKb(['topic', 'create', 'events', '--partitions', '3', '--rf', '3', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  await waitForPartitions(cluster.bootstrap, 'events', 'the ISR is full', (ps) => ps.every((p) => p.isr.length === 3));
  const first = await produce(cluster.bootstrap, 'first', 60);

  const reader = new GroupMember({ bootstrap: cluster.bootstrap, group, topic: 'events', name: 'reader', sessionTimeoutMs: 3000, strategy: 'range' });
  t.after(() => reader.kill());
  await until(() => reader.committed().length === first.length, 60_000, 'the first member commits every record', () => reader.describe());
  await reader.stop();

  const coordinator = await coordinatorOf(cluster.bootstrap);
  await cluster.kill(coordinator);
  const survivors = cluster.nodeIds.filter((id) => id !== coordinator).map((id) => cluster.address(id)).join(',');
  await waitForPartitions(survivors, '__consumer_offsets', 'every offsets partition has a live leader', (ps) => ps.every((p) => p.leader !== -1 && p.leader !== coordinator));
  const second = await produce(survivors, 'second', 40);

  const resumer = new GroupMember({ bootstrap: survivors, group, topic: 'events', name: 'resumer', sessionTimeoutMs: 3000, strategy: 'range' });
  t.after(() => resumer.kill());
  await until(() => resumer.committed().length >= second.length, 60_000, 'the second member reads what came after', () => resumer.describe());
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.deepEqual(resumer.committed().map((r) => r[2]).sort(), [...second].sort(), 'exactly the records produced after the commits, none of the first ones');
  await resumer.stop();
});
