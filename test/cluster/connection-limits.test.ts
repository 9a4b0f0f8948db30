/**
 * Peers are exempt from max.connections.per.ip on the peer listeners
 * (issue #22): in a 3-node cluster on loopback allowing one connection per
 * address, a client from 127.0.0.2 gets its one connection on a node's
 * client listener and no more, yet the nodes, which connect to each other's
 * peer listeners many times over from 127.0.0.1 (Raft lanes, controller
 * requests, replica fetchers), form the cluster, replicate an acks=all
 * write to every replica, and a node restarted while the client holds its
 * slot rejoins. (On the client listeners nobody is exempt: kcat and kb,
 * from 127.0.0.1, get by with one connection per node.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { RawConnection } from '../helpers/raw-kafka.ts';
import { uniqueTopic } from '../helpers/records.ts';
import { runKb } from '../helpers/cli.ts';

const apiVersionsKey = 18;

test('nodes connect to each other past max.connections.per.ip while a client address is held to it', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'max.connections.per.ip': 1 } });
  t.after(() => cluster.stop());
  const node1 = cluster.node(1);
  const client = await RawConnection.open(node1.host, node1.port, 5_000, '127.0.0.2');
  t.after(() => client.destroy());
  await client.request(apiVersionsKey, 0, {});
  const second = await RawConnection.open(node1.host, node1.port, 5_000, '127.0.0.2');
  t.after(() => second.destroy());
  await assert.rejects(second.request(apiVersionsKey, 0, {}), /closed the connection instead of answering/);

  await cluster.restart(2);
  const topic = uniqueTopic('per-ip-peers');
  const created = await runKb(['topic', 'create', topic, '--partitions', '1', '--rf', '3', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  await kcatOk(['-b', cluster.bootstrap, '-P', '-t', topic, '-X', 'acks=all', '-X', 'message.timeout.ms=20000'], { input: 'replicated\n' });
  const records = await kcatConsumeAll(cluster.bootstrap, topic);
  assert.deepEqual(records.map((r) => r.value), ['replicated']);
  await client.request(apiVersionsKey, 0, {});
});
