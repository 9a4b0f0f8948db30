/**
 * A node that runs another voter set than the rest of its cluster (here:
 * node 1 of a 3-node cluster, its data dir's voter.ids edited to 1 and
 * started without --voters, so it leads a one-voter quorum of the same
 * cluster id) is refused by the others: through elections among nodes 2
 * and 3, which ask node 1 for its vote, they log its answers as refused,
 * never follow it, and keep serving without its metadata.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startBroker } from '../helpers/broker.ts';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { runKb } from '../helpers/cli.ts';

async function topicsAt(address: string): Promise<string[]> {
  const listed = await runKb(['topic', 'list', '-b', address, '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  return (JSON.parse(listed.stdout) as { topics: { name: string }[] }).topics.map((topic) => topic.name);
}

test('nodes 2 and 3 refuse a node 1 that runs a one-voter quorum of their cluster, and keep serving without it', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  await cluster.stopNode(1);
  const stampFile = path.join(cluster.dataDir(1), 'meta.properties');
  await writeFile(stampFile, (await readFile(stampFile, 'utf8')).replace(/^voter\.ids=.*$/m, 'voter.ids=1'));
  // On its peer address too, where nodes 2 and 3 ask for its vote.
  const alone = await startBroker({ dataDir: cluster.dataDir(1), listen: cluster.address(1), args: ['--node-id', '1', '--peer-listen', cluster.peerAddress(1)], sets: fastFailover });
  t.after(() => alone.stop());
  const own = await runKb(['topic', 'create', 'only-on-node-1', '--partitions', '1', '--rf', '1', '-b', alone.address]);
  assert.equal(own.code, 0, own.stderr);

  // Each restart makes the other of nodes 2 and 3 stand for election, asking node 1 for its vote too.
  for (const id of [2, 3]) {
    await cluster.restart(id);
    const survivors = [2, 3].map((n) => cluster.address(n)).join(',');
    const created = await runKb(['topic', 'create', `after-restart-${id}`, '--partitions', '1', '--rf', '2', '-b', survivors]);
    assert.equal(created.code, 0, `nodes 2 and 3 take metadata changes after node ${id} restarted: ${created.stderr}`);
  }
  for (const id of [2, 3]) {
    assert.equal(cluster.node(id).process.exitCode, null, `node ${id} is up`);
    const topics = await topicsAt(cluster.address(id));
    assert.ok(topics.includes('after-restart-3'), `node ${id} has the cluster's topics: ${topics}`);
    assert.ok(!topics.includes('only-on-node-1'), `node ${id} took nothing from node 1: ${topics}`);
  }
  const logs = [2, 3].map((id) => cluster.node(id).log()).join('\n');
  assert.match(logs, /metadata quorum: refused a message from node 1: it answers that its voter set is not this node's \(1,2,3\)/);
  assert.doesNotMatch(logs, /AssertionError/);
});
