/**
 * A node's data dir remembers its metadata quorum's voters: restarting a
 * node of a 3-node cluster with --voters forgotten, or with another list,
 * exits 1 naming both voter sets and how to change them on purpose, while
 * the other two keep serving; with the right --voters it rejoins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { runKb } from '../helpers/cli.ts';
import { testClusterSecret } from '../helpers/broker.ts';
import { clusterSecretEnv } from '../../src/broker/cluster-secret.ts';

/** An error as the CLI prints it, unwrapped from oclif's line breaks. */
const oneLine = (text: string) => text.replace(/\s*\n\s*›\s*/g, ' ');

test('a node restarted with another voter set than its data dir was written under is refused, and the others keep serving', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  assert.match(await readFile(path.join(cluster.dataDir(1), 'meta.properties'), 'utf8'), /^voter\.ids=1,2,3$/m);
  await cluster.stopNode(1);

  const start = async (extra: string[]) => {
    const run = await runKb(['broker', 'start', '--node-id', '1', '--listen', cluster.address(1), '--data-dir', cluster.dataDir(1), ...extra], { timeoutMs: 20_000, env: { [clusterSecretEnv]: testClusterSecret } });
    return { code: run.code, stderr: oneLine(run.stderr) };
  };
  const forgotten = await start([]);
  assert.equal(forgotten.code, 1, `without --voters it exits 1: ${forgotten.stderr}`);
  assert.match(forgotten.stderr, /voters are nodes 1,2,3, but this node was started with voters 1:/);
  assert.match(forgotten.stderr, /same --voters as the other nodes/);
  assert.match(forgotten.stderr, /set voter\.ids in each node's meta\.properties, or start this node with a fresh --data-dir/);
  const fewer = await start(['--voters', `1@${cluster.peerAddress(1)},2@${cluster.peerAddress(2)}`]);
  assert.equal(fewer.code, 1, `with voters 1,2 it exits 1: ${fewer.stderr}`);
  assert.match(fewer.stderr, /voters are nodes 1,2,3, but this node was started with voters 1,2:/);

  const survivors = [2, 3].map((id) => cluster.address(id)).join(',');
  const created = await runKb(['topic', 'create', 'after-refusal', '--partitions', '1', '--rf', '2', '-b', survivors]);
  assert.equal(created.code, 0, `nodes 2 and 3 still take metadata changes: ${created.stderr}`);
  for (const id of [2, 3]) assert.ok(cluster.node(id).process.exitCode === null, `node ${id} is up`);

  await cluster.restart(1);
  const listed = await runKb(['topic', 'list', '-b', cluster.address(1)]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /after-refusal/, 'node 1, restarted with the right voters, has the topic created meanwhile');
});
