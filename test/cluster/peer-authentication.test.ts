/**
 * Peer authentication on a real 3-node cluster: a node without the cluster
 * secret, or with another one, cannot join while the cluster keeps
 * serving; the forged control-plane requests of issue #22, sent by a
 * plain client to every node's peer listener (where they close the
 * connection unanswered) and client listener (refused there), change
 * nothing (quorum epoch, ISR, registered brokers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, freePorts, type RunningCluster } from '../helpers/cluster.ts';
import { partitionsOf, waitForPartitions } from '../helpers/cluster-metadata.ts';
import { createTopicWithAssignment } from '../helpers/one-shot.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { connectAsPeer } from '../helpers/peer-client.ts';
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

/** Sends `request` on a fresh plain connection to `address`: its answer, or 'closed' when the connection was closed unanswered. */
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

/**
 * Sends a forged peer request to node `id` on both its listeners: closed
 * unanswered on the peer listener (not authenticated); on the client
 * listener closed too, or answered `refusal`.
 */
async function forge(cluster: RunningCluster, id: number, what: string, apiKey: number, apiVersion: number, body: unknown, refusal: number | 'closed' = 'closed'): Promise<void> {
  assert.equal(await send(cluster.peerAddress(id), apiKey, apiVersion, body), 'closed', `${what} at node ${id}'s peer listener`);
  const answer = await send(cluster.address(id), apiKey, apiVersion, body);
  assert.equal(answer === 'closed' ? 'closed' : answer.errorCode, refusal, `${what} at node ${id}'s client listener`);
}

const forgeWire = (cluster: RunningCluster, id: number, what: string, wire: WireMessage) => forge(cluster, id, what, wire.apiKey, wire.apiVersion, wire.body);

test('a node without the cluster secret, or with another one, cannot join, and the cluster keeps serving', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3 });
  t.after(() => cluster.stop());
  const voters = cluster.nodeIds.map((id) => `${id}@${cluster.peerAddress(id)}`).join(',');
  const [port, peerPort] = await freePorts(2);
  const node4 = ['--node-id', '4', '--listen', `127.0.0.1:${port}`, '--peer-listen', `127.0.0.1:${peerPort}`, '--voters', voters, '--data-dir', `${cluster.dataDir(1)}-intruder`];
  const join = (env: Record<string, string>) => runKb(['broker', 'start', ...node4], { env, timeoutMs: 8_000 });
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

  const refused = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  for (const id of cluster.nodeIds) {
    for (const claimed of others(id)) {
      const vote = toWire({ type: 'Vote', correlationId: 1, candidateEpoch: forgedEpoch, candidateId: claimed, voterId: id, lastOffsetEpoch: forgedEpoch, lastOffset: 1_000_000 }, clusterId);
      await forgeWire(cluster, id, `a Vote for node ${claimed}`, vote);
      const begin = toWire({ type: 'BeginQuorumEpoch', correlationId: 1, voterId: id, leaderId: claimed, leaderEpoch: forgedEpoch }, clusterId);
      await forgeWire(cluster, id, `BeginQuorumEpoch from node ${claimed}`, begin);
      const end = toWire({ type: 'EndQuorumEpoch', correlationId: 1, leaderId: claimed, leaderEpoch: quorum.leaderEpoch, preferredSuccessors: [] }, clusterId);
      await forgeWire(cluster, id, `EndQuorumEpoch from node ${claimed}`, end);
      const metadataFetch = toWire({ type: 'Fetch', correlationId: 1, replicaId: claimed, currentLeaderEpoch: quorum.leaderEpoch, fetchOffset: 1_000_000, lastFetchedEpoch: quorum.leaderEpoch, maxWaitMs: 0, maxBytes: 1 << 20 }, clusterId);
      await forgeWire(cluster, id, `a metadata-log Fetch as node ${claimed}`, metadataFetch);
    }
    for (const broker of cluster.nodeIds) {
      for (const brokerEpoch of [1n, 2n, 3n]) {
        const heartbeat = { brokerId: broker, brokerEpoch, currentMetadataOffset: 0n, wantFence: true, wantShutDown: true, offlineLogDirs: [] };
        await forge(cluster, id, `a heartbeat fencing node ${broker}`, 63, 1, heartbeat, refused);
        const shrink = {
          brokerId: before.leader,
          brokerEpoch,
          topics: [{ topicName: 'guarded', topicId: Buffer.alloc(16), partitions: [{ partitionIndex: 0, leaderEpoch: before.leaderEpoch, newIsr: [before.leader], newIsrWithEpochs: [], leaderRecoveryState: 0, partitionEpoch: 0 }] }],
        };
        await forge(cluster, id, 'an ISR shrink', 56, 1, shrink, refused);
        await forge(cluster, id, 'a producer id block', 67, 0, { brokerId: broker, brokerEpoch }, refused);
      }
    }
    const rogue = { ...defaultBrokerRegistrationRequest(), brokerId: 100, clusterId, incarnationId: Buffer.alloc(16, 1), listeners: [{ name: 'CLIENT', host: '127.0.0.1', port: 1, securityProtocol: 0 }] };
    await forge(cluster, id, 'a rogue node 100', 62, 4, rogue, refused);
    const replicaFetch = {
      ...defaultFetchRequest(),
      replicaId: others(id)[0],
      maxBytes: 1 << 20,
      topics: [{ topic: 'guarded', topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 1_000_000n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
    };
    await forge(cluster, id, 'a replica Fetch with a forged follower offset', 1, 12, replicaFetch, refused);
  }

  const after = await quorumOf(cluster.address(1));
  assert.ok(after.leaderEpoch < forgedEpoch, `the quorum never took the forged epoch (${after.leaderEpoch})`);
  assert.deepEqual(await brokersOf(cluster.address(1)), [1, 2, 3], 'no rogue node, nobody shut down');
  const [now] = await partitionsOf(cluster.bootstrap, 'guarded');
  assert.deepEqual([...now.isr].sort(), [1, 2, 3], 'the ISR was not shrunk');
});

test("a node's own controller request that reaches a node which is not the controller is answered NOT_CONTROLLER, not forwarded (where the controller would refuse it for its connection)", { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3 });
  t.after(() => cluster.stop());
  const { leaderId } = await quorumOf(cluster.address(1));
  const [receiver, sender] = cluster.nodeIds.filter((id) => id !== leaderId);
  const { host, port } = parse(cluster.peerAddress(receiver));
  const peer = await connectAsPeer(host, port, sender, receiver);
  try {
    const heartbeat = { brokerId: sender, brokerEpoch: 1n, currentMetadataOffset: 0n, wantFence: false, wantShutDown: false, offlineLogDirs: [] };
    assert.equal((await peer.request(63, 1, heartbeat)).errorCode, ErrorCode.NOT_CONTROLLER, `node ${sender}'s heartbeat at node ${receiver}`);
    assert.equal((await peer.request(67, 0, { brokerId: sender, brokerEpoch: 1n })).errorCode, ErrorCode.NOT_CONTROLLER, `node ${sender}'s producer-id request at node ${receiver}`);
  } finally {
    peer.close();
  }
});
