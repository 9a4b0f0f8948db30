/**
 * Named listeners on a real `kb broker start` (#22): a plain client on the
 * client listener is neither offered nor served the peer APIs (each
 * refusal: the Raft APIs close the connection, the others answer
 * CLUSTER_AUTHORIZATION_FAILED), while the same requests are served on the
 * peer listener; DescribeQuorum and DescribeCluster stay readable by
 * clients; and `kb broker start` refuses listener mistakes with exit 1
 * (exit 2 for a shorthand given together with its setting).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { RawConnection } from '../helpers/raw-kafka.ts';
import { runKb } from '../helpers/cli.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { parseHostPort } from '../../src/net/host-port.ts';
import { encodeRequest } from '../../src/protocol/frames.ts';
import { toWire } from '../../src/controller/raft/wire.ts';
import type { RaftMessage } from '../../src/controller/raft/messages.ts';
import { defaultBrokerRegistrationRequest } from '../../src/protocol/generated/broker-registration-request.ts';
import { defaultFetchPartition, defaultFetchRequest, defaultFetchTopic } from '../../src/protocol/generated/fetch-request.ts';
import { defaultDescribeClusterRequest } from '../../src/protocol/generated/describe-cluster-request.ts';
import { defaultDescribeQuorumRequest } from '../../src/protocol/generated/describe-quorum-request.ts';

const peerApis = [ApiKeys.Vote, ApiKeys.BeginQuorumEpoch, ApiKeys.EndQuorumEpoch, ApiKeys.AlterPartition, ApiKeys.FetchSnapshot, ApiKeys.BrokerRegistration, ApiKeys.BrokerHeartbeat, ApiKeys.AllocateProducerIds];
const refused = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
const topic = 'listeners-topic';

let broker: RunningBroker;
const connections: RawConnection[] = [];

before(async () => {
  broker = await startBroker({ args: ['--peer-listen', '127.0.0.1:0'] });
  const created = await runKb(['topic', 'create', topic, '--partitions', '1', '--rf', '1', '-b', broker.address]);
  assert.equal(created.code, 0, created.stderr);
});
after(async () => {
  for (const c of connections) c.destroy();
  await broker?.stop();
});

/** A connection to the client listener, or to the peer listener authenticated as node `peerAs`. */
async function open(peer: boolean, peerAs = 2): Promise<RawConnection> {
  const { host, port } = peer ? parseHostPort(broker.peerAddress!) : { host: broker.host, port: broker.port };
  const connection = peer ? await RawConnection.openAsPeer(host, port, peerAs, 1) : await RawConnection.open(host, port);
  connections.push(connection);
  return connection;
}

const apiKeysOffered = async (peer: boolean) => {
  const { body } = await (await open(peer)).request<{ apiKeys: { apiKey: number }[] }>(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  return new Set(body.apiKeys.map((k) => k.apiKey));
};

const fetchRequest = (replicaId: number) => ({
  ...defaultFetchRequest(),
  replicaId,
  replicaState: { replicaId, replicaEpoch: -1n },
  maxWaitMs: 0,
  minBytes: 0,
  maxBytes: 1 << 20,
  topics: [{ ...defaultFetchTopic(), topic, partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
});

test('the startup line lists every listener, client listeners first', () => {
  assert.match(broker.log(), /kb broker started: listening on CLIENT:\/\/127\.0\.0\.1:\d+, PEER:\/\/127\.0\.0\.1:\d+, node 1, /);
});

test('ApiVersions on the client listener offers no peer API; the peer listener offers them all', async () => {
  const onClient = await apiKeysOffered(false);
  for (const key of peerApis) assert.equal(onClient.has(key), false, `API key ${key} is not offered to clients`);
  for (const key of [ApiKeys.Fetch, ApiKeys.DescribeQuorum, ApiKeys.DescribeCluster, ApiKeys.Metadata]) assert.ok(onClient.has(key), `API key ${key} is offered to clients`);
  const onPeer = await apiKeysOffered(true);
  for (const key of peerApis) assert.ok(onPeer.has(key), `API key ${key} is offered on the peer listener`);
});

test('Raft requests and a metadata-log Fetch on the client listener close the connection; on the peer listener they are answered', async () => {
  const messages: RaftMessage[] = [
    { type: 'Vote', correlationId: 1, candidateEpoch: 50, candidateId: 2, voterId: 1, lastOffsetEpoch: 50, lastOffset: 1000 },
    { type: 'BeginQuorumEpoch', correlationId: 1, voterId: 1, leaderId: 2, leaderEpoch: 50 },
    { type: 'EndQuorumEpoch', correlationId: 1, leaderId: 2, leaderEpoch: 50, preferredSuccessors: [2] },
    { type: 'Fetch', correlationId: 1, replicaId: 2, currentLeaderEpoch: 1, fetchOffset: 0, lastFetchedEpoch: 0, maxWaitMs: 0, maxBytes: 100_000 },
    { type: 'FetchSnapshot', correlationId: 1, replicaId: 2, currentLeaderEpoch: 1, snapshotId: { endOffset: 3, epoch: 1 }, position: 0, maxBytes: 100_000 },
  ];
  for (const message of messages) {
    const wire = toWire(message, '');
    const client = await open(false);
    await client.write(encode(wire.apiKey, wire.apiVersion, wire.body)).catch(() => undefined);
    assert.equal(await client.waitClosed(10_000), true, `${message.type} on the client listener closes the connection`);
    const peer = await open(true);
    const answered = await peer.request<Record<string, unknown>>(wire.apiKey, wire.apiVersion, wire.body);
    assert.equal(answered.correlationId > 0, true, `${message.type} is answered on the peer listener`);
  }
  assert.match(broker.log(), /closing connection \d+ from 127\.0\.0\.1:\d+: a peer's request \(API key 52\) on client listener CLIENT/);
});

test('BrokerRegistration, BrokerHeartbeat, AlterPartition and AllocateProducerIds on the client listener are CLUSTER_AUTHORIZATION_FAILED', async () => {
  const client = await open(false);
  const requests: [number, number, unknown][] = [
    [ApiKeys.BrokerRegistration, 4, { ...defaultBrokerRegistrationRequest(), brokerId: 100, clusterId: 'x', incarnationId: Buffer.alloc(16, 1), listeners: [{ name: 'CLIENT', host: '10.9.9.9', port: 9092, securityProtocol: 0 }] }],
    [ApiKeys.BrokerHeartbeat, 1, { brokerId: 1, brokerEpoch: 1n, currentMetadataOffset: 0n, wantFence: true, wantShutDown: true, offlineLogDirs: [] }],
    [ApiKeys.AlterPartition, 3, { brokerId: 1, brokerEpoch: 1n, topics: [] }],
    [ApiKeys.AllocateProducerIds, 0, { brokerId: 1, brokerEpoch: 1n }],
  ];
  for (const [apiKey, version, body] of requests) {
    const answer = await client.request<{ errorCode: number }>(apiKey, version, body);
    assert.equal(answer.body.errorCode, refused, `API key ${apiKey} is refused`);
  }
  // On the peer listener they are served (an AllocateProducerIds at a wrong epoch is STALE_BROKER_EPOCH, not refused).
  const peer = await open(true, 1);
  assert.equal((await peer.request<{ errorCode: number }>(ApiKeys.AllocateProducerIds, 0, { brokerId: 1, brokerEpoch: 999n })).body.errorCode, ErrorCode.STALE_BROKER_EPOCH);
  const metadata = await client.request<{ brokers: { nodeId: number; host: string }[] }>(ApiKeys.Metadata, 9, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.deepEqual(metadata.body.brokers.map((b) => [b.nodeId, b.host]), [[1, '127.0.0.1']], 'no rogue broker registered, node 1 still live');
});

test('a replica Fetch on the client listener is CLUSTER_AUTHORIZATION_FAILED (top-level from v7, per partition before, replica state in v15); a consumer Fetch is served', async () => {
  const client = await open(false);
  const v12 = await client.request<{ errorCode: number; responses: unknown[] }>(ApiKeys.Fetch, 12, fetchRequest(2));
  assert.deepEqual([v12.body.errorCode, v12.body.responses.length], [refused, 0]);
  const v4 = await client.request<{ errorCode: number; responses: { partitions: { errorCode: number; records: Buffer | null }[] }[] }>(ApiKeys.Fetch, 4, fetchRequest(2));
  assert.equal(v4.body.responses[0].partitions[0].errorCode, refused);
  const v15 = await client.request<{ errorCode: number }>(ApiKeys.Fetch, 15, { ...fetchRequest(2), replicaId: -1, topics: [] });
  assert.equal(v15.body.errorCode, refused, 'v15 names the replica in its replica state');
  const consumer = await client.request<{ errorCode: number; responses: { partitions: { errorCode: number }[] }[] }>(ApiKeys.Fetch, 12, fetchRequest(-1));
  assert.deepEqual([consumer.body.errorCode, consumer.body.responses[0].partitions[0].errorCode], [ErrorCode.NONE, ErrorCode.NONE]);
});

test('DescribeQuorum and DescribeCluster stay readable on the client listener', async () => {
  const client = await open(false);
  const quorum = await client.request<{ errorCode: number; topics: { partitions: { errorCode: number; leaderId: number }[] }[] }>(ApiKeys.DescribeQuorum, 1, {
    ...defaultDescribeQuorumRequest(),
    topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }],
  });
  assert.deepEqual([quorum.body.errorCode, quorum.body.topics[0].partitions[0].errorCode, quorum.body.topics[0].partitions[0].leaderId], [ErrorCode.NONE, ErrorCode.NONE, 1]);
  const cluster = await client.request<{ errorCode: number; brokers: { brokerId: number; port: number }[] }>(ApiKeys.DescribeCluster, 0, defaultDescribeClusterRequest());
  assert.deepEqual([cluster.body.errorCode, cluster.body.brokers.map((b) => [b.brokerId, b.port])], [ErrorCode.NONE, [[1, broker.port]]]);
});

test('kb broker start refuses listener mistakes: exit 1 saying what to change, exit 2 for a shorthand with its setting', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-listeners-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const start = async (args: string[]) => {
    const run = await runKb(['broker', 'start', '--data-dir', dir, ...args], { timeoutMs: 20_000 });
    return { code: run.code, stderr: run.stderr.replace(/\s*\n\s*›\s*/g, ' ') };
  };
  const brokerOnly = await start(['--node-id', '4', '--listen', '127.0.0.1:0', '--voters', '1@127.0.0.1:1,2@127.0.0.1:2']);
  assert.equal(brokerOnly.code, 1, brokerOnly.stderr);
  assert.match(brokerOnly.stderr, /node 4 is not in --voters, so it needs a peer listener .* add --peer-listen HOST:PORT/);
  const onVoterAddress = await start(['--node-id', '1', '--listen', '127.0.0.1:19093', '--voters', '1@127.0.0.1:19093,2@127.0.0.1:2']);
  assert.equal(onVoterAddress.code, 1, onVoterAddress.stderr);
  assert.match(onVoterAddress.stderr, /client listener CLIENT is at 127\.0\.0\.1:19093, this node's --voters entry, which is its peer listener/);
  const ssl = await start(['--set', 'listeners=SSL://127.0.0.1:0']);
  assert.equal(ssl.code, 1, ssl.stderr);
  assert.match(ssl.stderr.replace(/\s*›\s*/g, ' '), /listener SSL \(SSL\): ssl\.keystore\.location is not set/);
  const both = await start(['--listen', '127.0.0.1:0', '--set', 'listeners=CLIENT://127.0.0.1:0']);
  assert.equal(both.code, 2, both.stderr);
  assert.match(both.stderr, /--listen and --peer-listen are shorthands for the listeners setting/);
});

function encode(apiKey: number, apiVersion: number, body: unknown): Buffer {
  return encodeRequest(apiKey, apiVersion, 1, 'listeners-test', body);
}
