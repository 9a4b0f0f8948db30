import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { snapshotFile } from '../../src/controller/raft/log-store.ts';
import { fastFailover, freePorts, startCluster } from '../helpers/cluster.ts';
import { startBroker, testClusterSecret } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { clusterSecretEnv } from '../../src/broker/cluster-secret.ts';
import { Cluster } from '../../src/client/cluster.ts';


function clientOf(address: string): Cluster {
  const [host, port] = address.split(':');
  return new Cluster({ bootstrap: [{ host, port: Number(port) }], clientId: 'quorum-test', requestTimeoutMs: 15_000 });
}

async function metadataFrom(address: string) {
  const cluster = clientOf(address);
  try {
    return await cluster.refreshMetadata(null);
  } finally {
    cluster.close();
  }
}

/** CreateTopics sent to the node at `address` itself, whether it is the controller or not. */
async function createTopicAt(address: string, name: string): Promise<number> {
  const cluster = clientOf(address);
  try {
    const [host, port] = address.split(':');
    const connection = await cluster.connection(host, Number(port));
    const response = await connection.request(19, 7, {
      topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 15_000,
      validateOnly: false,
    });
    return response.topics[0].errorCode;
  } finally {
    cluster.close();
  }
}

test('three voters elect one controller, every node serves the metadata it commits, a voter paused past the fetch timeout comes back without deposing it, and a new controller takes over when it dies', async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());

  const views = await Promise.all(cluster.nodeIds.map((id) => metadataFrom(cluster.address(id))));
  const controllers = new Set(views.map((v) => v.controllerId));
  assert.equal(controllers.size, 1, `every node names the same controller: ${[...controllers]}`);
  const controller = [...controllers][0];
  assert.ok(cluster.nodeIds.includes(controller));

  // A topic created through a node that is not the controller is forwarded to it and seen by every node.
  const other = cluster.nodeIds.find((id) => id !== controller)!;
  assert.equal(await createTopicAt(cluster.address(other), 'first'), 0);
  for (const id of cluster.nodeIds) {
    await eventually(async () => (await metadataFrom(cluster.address(id))).topics.has('first'), `node ${id} knows topic first`);
  }

  // Paused (cut off) past its fetch and election timeouts, a voter asks for pre-votes when it resumes instead of
  // standing in a new epoch: the controller and the other follower refuse them, and it follows the controller again (KIP-996).
  const before = await quorumAt(cluster.address(controller));
  cluster.pause(other);
  await new Promise((resolve) => setTimeout(resolve, 3 * fastFailover['controller.quorum.fetch.timeout.ms']));
  cluster.resume(other);
  assert.equal(await createTopicAt(cluster.address(other), 'after-pause'), 0);
  await eventually(async () => (await metadataFrom(cluster.address(other))).topics.has('after-pause'), `node ${other} knows topic after-pause`);
  assert.deepEqual(await quorumAt(cluster.address(controller)), before, 'same quorum leader, same epoch');

  await cluster.kill(controller);
  const survivor = cluster.nodeIds.find((id) => id !== controller)!;
  const started = Date.now();
  let newController = -1;
  while (Date.now() - started < 10_000) {
    newController = (await metadataFrom(cluster.address(survivor))).controllerId;
    if (newController !== -1 && newController !== controller) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.notEqual(newController, controller, 'a surviving voter became the controller');
  assert.equal(await createTopicAt(cluster.address(survivor), 'second'), 0);
  assert.ok(Date.now() - started < 15_000, 'topic creation works again within seconds');
  for (const id of cluster.nodeIds.filter((n) => n !== controller)) {
    await eventually(async () => (await metadataFrom(cluster.address(id))).topics.has('second'), `node ${id} knows topic second`);
  }
});

test('a node whose data dir belongs to another cluster is refused with a clear error', async (t) => {
  const foreign = await startBroker({ args: ['--node-id', '3'] });
  const foreignDir = foreign.dataDir;
  await foreign.process.kill('SIGTERM');
  await new Promise((resolve) => foreign.process.once('exit', resolve));
  t.after(() => rm(foreignDir, { recursive: true, force: true }));
  // Another cluster with the same voter ids as this one (else the voter set check refuses the node first).
  const stampFile = path.join(foreignDir, 'meta.properties');
  await writeFile(stampFile, (await readFile(stampFile, 'utf8')).replace(/^voter\.ids=3$/m, 'voter.ids=1,2,3'));

  const free = await freePorts(6);
  const [ports, peerPorts] = [free.slice(0, 3), free.slice(3)];
  const voters = peerPorts.map((port, i) => `${i + 1}@127.0.0.1:${port}`).join(',');
  const members = await Promise.all([1, 2].map((id) => startBroker({ listen: `127.0.0.1:${ports[id - 1]}`, args: ['--node-id', String(id), '--voters', voters], sets: fastFailover })));
  t.after(() => Promise.all(members.map((m) => m.stop())));

  const refused = await runKb(['broker', 'start', '--node-id', '3', '--listen', `127.0.0.1:${ports[2]}`, '--voters', voters, '--data-dir', foreignDir], { timeoutMs: 30_000, env: { [clusterSecretEnv]: testClusterSecret } });
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /belongs to another cluster/);
  for (const member of members) assert.equal(member.process.exitCode, null, 'the cluster keeps running');
});

test('a node that was away catches up from a snapshot of the metadata once the log it missed is gone', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'metadata.log.max.entries.between.snapshots': 5 } });
  t.after(() => cluster.stop());
  await cluster.stopNode(3);
  const names = Array.from({ length: 20 }, (_, i) => `while-away-${i}`);
  for (const name of names) assert.equal(await createTopicAt(cluster.address(1), name), 0, `creating ${name}`);
  for (const id of [1, 2]) {
    await waitForFile(path.join(cluster.dataDir(id), 'metadata', snapshotFile));
  }

  await cluster.restart(3);
  await waitForFile(path.join(cluster.dataDir(3), 'metadata', snapshotFile));
  const view = await metadataFrom(cluster.address(3));
  for (const name of names) assert.ok(view.topics.has(name), `node 3 knows ${name}`);
  // Its own unfencing is committed by the controller; node 3 applies it with its next fetch.
  await eventually(async () => (await metadataFrom(cluster.address(3))).brokers.size === 3, 'node 3 lists every broker, itself included');
});

/** The metadata quorum's leader and epoch, as `kb cluster quorum` asked at `address` reports them. */
async function quorumAt(address: string): Promise<{ leaderId: number; leaderEpoch: number }> {
  const result = await runKb(['cluster', 'quorum', '--json', '-b', address]);
  assert.equal(result.code, 0, result.stderr);
  const { leaderId, leaderEpoch } = JSON.parse(result.stdout);
  return { leaderId, leaderEpoch };
}

/** Metadata reaches the other nodes with their next fetch of the metadata log: poll for up to 10 s. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitForFile(file: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!existsSync(file)) {
    assert.ok(Date.now() < deadline, `${file} appears`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
