/**
 * Peer authentication on a real 3-node cluster: a node without the cluster
 * secret, or with another one, cannot join while the cluster keeps
 * serving; the forged control-plane requests of issue #22, sent by a
 * plain client to every node, are refused and change nothing (quorum
 * leader and epoch, ISR, leaders, registered brokers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, freePorts } from '../helpers/cluster.ts';
import { partitionsOf, waitForPartitions } from '../helpers/cluster-metadata.ts';
import { createTopicWithAssignment } from '../helpers/one-shot.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { runKb } from '../helpers/cli.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { toWire, type WireMessage } from '../../src/controller/raft/wire.ts';
import { defaultDescribeClusterRequest } from '../../src/protocol/generated/describe-cluster-request.ts';
import { defaultDescribeQuorumRequest } from '../../src/protocol/generated/describe-quorum-request.ts';
import { defaultBrokerRegistrationRequest } from '../../src/protocol/generated/broker-registration-request.ts';
import { defaultFetchRequest } from '../../src/protocol/generated/fetch-request.ts';
import { metadataTopic } from '../../src/controller/raft/wire.ts';

type Address = { host: string; port: number };
const parse = (address: string): Address => ({ host: address.split(':')[0], port: Number(address.split(':')[1]) });

/** The quorum leader and epoch as node `address` reports them. */
async function quorumOf(address: string): Promise<{ leaderId: number; leaderEpoch: number }> {
  const client = await RawClient.connect(parse(address).host, parse(address).port);
  try {
    const answer = await client.request(55, 1, { ...defaultDescribeQuorumRequest(), topics: [{ topicName: metadataTopic.name, partitions: [{ partitionIndex: 0 }] }] });
    const { leaderId, leaderEpoch } = answer.topics[0].partitions[0];
    return { leaderId, leaderEpoch };
  } finally {
    client.close();
  }
}

async function brokersOf(address: string): Promise<number[]> {
  const client = await RawClient.connect(parse(address).host, parse(address).port);
  try {
    return ((await client.request(60, 0, defaultDescribeClusterRequest())).brokers as { brokerId: number }[]).map((b) => b.brokerId).sort();
  } finally {
    client.close();
  }
}

/** Sends `request` on a fresh plain connection: its answer, or 'closed' when the connection was closed unanswered. */
async function send(address: string, apiKey: number, apiVersion: number, body: unknown): Promise<any> {
  const client = await RawClient.connect(parse(address).host, parse(address).port);
  try {
    return await client.request(apiKey, apiVersion, body).catch((err: Error) => {
      if (/closed before the response/.test(err.message)) return 'closed';
      throw err;
    });
  } finally {
    client.close();
  }
}

const sendWire = (address: string, wire: WireMessage) => send(address, wire.apiKey, wire.apiVersion, wire.body);

test('a node without the cluster secret, or with another one, cannot join, and the cluster keeps serving', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3 });
  t.after(() => cluster.stop());
  const voters = cluster.nodeIds.map((id) => `${id}@${cluster.address(id)}`).join(',');
  const [port] = await freePorts(1);
  const join = (env: Record<string, string>) =>
    runKb(['broker', 'start', '--node-id', '4', '--listen', `127.0.0.1:${port}`, '--voters', voters, '--data-dir', `${cluster.dataDir(1)}-intruder`], { env, timeoutMs: 8_000 });
  const without = await join({ KB_CLUSTER_SECRET: '' });
  assert.equal(without.code, 1);
  assert.match(without.stderr.replace(/\s*›\s*/g, ' '), /no cluster secret/);
  const wrong = await join({ KB_CLUSTER_SECRET: 'not-the-secret-of-this-cluster-0123456789' });
  assert.notEqual(wrong.code, 0);
  assert.doesNotMatch(wrong.stderr, /kb broker started/);
  assert.match(wrong.stderr, /peer authentication with 127\.0\.0\.1:\d+ failed: node [123] does not hold the cluster secret/);
  assert.deepEqual(await brokersOf(cluster.address(1)), [1, 2, 3], 'node 4 never registered');
  assert.equal(await createTopicWithAssignment(cluster.address(2), 'still-serving', [[1, 2, 3]]), ErrorCode.NONE);
  await waitForPartitions(cluster.bootstrap, 'still-serving', 'the topic has its ISR', (ps) => ps[0].isr.length === 3);
});

test("the issue's forged control-plane requests, sent to every node of a cluster, fail and change nothing", { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3 });
  t.after(() => cluster.stop());
  assert.equal(await createTopicWithAssignment(cluster.address(1), 'guarded', [[1, 2, 3]]), ErrorCode.NONE);
  const [before] = await waitForPartitions(cluster.bootstrap, 'guarded', 'the ISR is full', (ps) => ps[0].isr.length === 3);
  const quorum = await quorumOf(cluster.address(1));
  const clusterId = (await send(cluster.address(1), 60, 0, defaultDescribeClusterRequest())).clusterId as string;
  const forgedEpoch = quorum.leaderEpoch + 1_000;
  const others = (id: number) => cluster.nodeIds.filter((n) => n !== id);

  for (const id of cluster.nodeIds) {
    const address = cluster.address(id);
    for (const claimed of others(id)) {
      const vote = toWire({ type: 'Vote', correlationId: 1, candidateEpoch: forgedEpoch, candidateId: claimed, voterId: id, lastOffsetEpoch: forgedEpoch, lastOffset: 1_000_000 }, clusterId);
      assert.equal(await sendWire(address, vote), 'closed', `a Vote for node ${claimed} at node ${id}`);
      const begin = toWire({ type: 'BeginQuorumEpoch', correlationId: 1, voterId: id, leaderId: claimed, leaderEpoch: forgedEpoch }, clusterId);
      assert.equal(await sendWire(address, begin), 'closed', `BeginQuorumEpoch from node ${claimed} at node ${id}`);
      const end = toWire({ type: 'EndQuorumEpoch', correlationId: 1, leaderId: claimed, leaderEpoch: quorum.leaderEpoch, preferredSuccessors: [] }, clusterId);
      assert.equal(await sendWire(address, end), 'closed', `EndQuorumEpoch from node ${claimed} at node ${id}`);
      const metadataFetch = toWire({ type: 'Fetch', correlationId: 1, replicaId: claimed, currentLeaderEpoch: quorum.leaderEpoch, fetchOffset: 1_000_000, lastFetchedEpoch: quorum.leaderEpoch, maxWaitMs: 0, maxBytes: 1 << 20 }, clusterId);
      assert.equal(await sendWire(address, metadataFetch), 'closed', `a metadata-log Fetch as node ${claimed} at node ${id}`);
    }
    for (const broker of cluster.nodeIds) {
      for (const brokerEpoch of [1n, 2n, 3n]) {
        const heartbeat = { brokerId: broker, brokerEpoch, currentMetadataOffset: 0n, wantFence: true, wantShutDown: true, offlineLogDirs: [] };
        assert.equal((await send(address, 63, 1, heartbeat)).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `a heartbeat fencing node ${broker}`);
        const shrink = {
          brokerId: before.leader,
          brokerEpoch,
          topics: [{ topicName: 'guarded', topicId: Buffer.alloc(16), partitions: [{ partitionIndex: 0, leaderEpoch: before.leaderEpoch, newIsr: [before.leader], newIsrWithEpochs: [], leaderRecoveryState: 0, partitionEpoch: 0 }] }],
        };
        assert.equal((await send(address, 56, 1, shrink)).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'an ISR shrink');
        assert.equal((await send(address, 67, 0, { brokerId: broker, brokerEpoch })).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'a producer id block');
      }
    }
    const rogue = { ...defaultBrokerRegistrationRequest(), brokerId: 100, clusterId, incarnationId: Buffer.alloc(16, 1), listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 1, securityProtocol: 0 }] };
    assert.equal((await send(address, 62, 4, rogue)).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'a rogue node 100');
    const replicaFetch = {
      ...defaultFetchRequest(),
      replicaId: others(id)[0],
      maxBytes: 1 << 20,
      topics: [{ topic: 'guarded', topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 1_000_000n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
    };
    assert.equal((await send(address, 1, 12, replicaFetch)).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'a replica Fetch with a forged follower offset');
  }

  const after = await quorumOf(cluster.address(1));
  assert.ok(after.leaderEpoch < forgedEpoch, `the quorum never took the forged epoch (${after.leaderEpoch})`);
  assert.deepEqual(await brokersOf(cluster.address(1)), [1, 2, 3], 'no rogue node, nobody shut down');
  const [now] = await partitionsOf(cluster.bootstrap, 'guarded');
  assert.deepEqual([...now.isr].sort(), [1, 2, 3], 'the ISR was not shrunk');
});
