/**
 * Named listeners in a real cluster (#22): every node has a client and a
 * peer listener; Metadata, DescribeCluster and FindCoordinator answer with
 * each broker's endpoint on the listener the request came in on (client
 * addresses to clients, peer addresses on the peer listener); a
 * broker-only node joins through its --peer-listen listener and replicates
 * there; kcat produces and consumes through the client listeners only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { runKb } from '../helpers/cli.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { RawConnection } from '../helpers/raw-kafka.ts';
import { parseHostPort } from '../../src/net/host-port.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { defaultDescribeClusterRequest } from '../../src/protocol/generated/describe-cluster-request.ts';

test('each listener answers with its own endpoints; a broker-only node joins and replicates over the peer listeners', { timeout: 180_000 }, async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  const brokerOnly = await cluster.addBroker();
  const ids = [1, 2, 3, brokerOnly];

  /** Asks node `id` at `address`: on its peer listener as an authenticated node (99, a node id no node has). */
  const ask = async (address: string, id: number, peer: boolean) => {
    const { host, port } = parseHostPort(address);
    const connection = peer ? await RawConnection.openAsPeer(host, port, 99, id) : await RawConnection.open(host, port);
    t.after(() => connection.destroy());
    const metadata = await connection.request<{ brokers: { nodeId: number; host: string; port: number }[] }>(ApiKeys.Metadata, 9, {
      topics: [],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    const described = await connection.request<{ errorCode: number; brokers: { brokerId: number; host: string; port: number }[] }>(ApiKeys.DescribeCluster, 0, defaultDescribeClusterRequest());
    assert.equal(described.body.errorCode, ErrorCode.NONE);
    const coordinator = await connection.request<{ errorCode: number; nodeId: number; host: string; port: number }>(ApiKeys.FindCoordinator, 3, { key: 'listeners-group', keyType: 0, coordinatorKeys: [] });
    return {
      metadata: metadata.body.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]).sort(),
      described: described.body.brokers.map((b) => [b.brokerId, `${b.host}:${b.port}`]).sort(),
      coordinator: coordinator.body,
    };
  };
  const expected = (addressOf: (id: number) => string) => ids.map((id) => [id, addressOf(id)]);
  for (const id of ids) {
    const live = async () => {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
        const answer = await ask(cluster.address(id), id, false);
        if (answer.metadata.length === ids.length && answer.coordinator.errorCode === ErrorCode.NONE) return answer;
      }
      assert.fail(`node ${id} did not see ${ids.length} live brokers and a group coordinator in time`);
    };
    const onClient = await live();
    assert.deepEqual(onClient.metadata, expected(cluster.address), `Metadata from node ${id}'s client listener names client addresses`);
    assert.deepEqual(onClient.described, expected(cluster.address), `DescribeCluster from node ${id}'s client listener names client addresses`);
    assert.equal(`${onClient.coordinator.host}:${onClient.coordinator.port}`, cluster.address(onClient.coordinator.nodeId), 'FindCoordinator names the client address');
    const onPeer = await ask(cluster.peerAddress(id), id, true);
    assert.deepEqual(onPeer.metadata, expected(cluster.peerAddress), `Metadata from node ${id}'s peer listener names peer addresses`);
    assert.deepEqual(onPeer.described, expected(cluster.peerAddress));
    assert.equal(`${onPeer.coordinator.host}:${onPeer.coordinator.port}`, cluster.peerAddress(onPeer.coordinator.nodeId));
  }

  // A topic on every broker, the broker-only node included: its followers replicate from the leaders' peer listeners.
  const topic = 'listeners-replicated';
  const created = await runKb(['topic', 'create', topic, '--partitions', '4', '--rf', String(ids.length), '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  const lines = Array.from({ length: 40 }, (_, i) => `v${i}`);
  await kcatOk(['-b', cluster.bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { input: `${lines.join('\n')}\n` });
  await waitForPartitions(cluster.bootstrap, topic, 'every replica is in sync', (partitions) => partitions.every((p) => p.isr.length === ids.length));
  const consumed = await kcatConsumeAll(cluster.address(brokerOnly), topic);
  assert.deepEqual(consumed.map((r) => r.value).sort(), [...lines].sort());
});
