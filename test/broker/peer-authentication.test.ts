/**
 * The peer listener of a real broker (`kb broker start --peer-listen`,
 * holding the test cluster secret) against a plain client, a connection
 * authenticated as another node, and a wrong secret: each is refused and
 * changes nothing; an authenticated node acting as itself is served.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { connectAsPeer } from '../helpers/peer-client.ts';
import { runKb } from '../helpers/cli.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { defaultBrokerRegistrationRequest } from '../../src/protocol/generated/broker-registration-request.ts';
import { defaultDescribeClusterRequest } from '../../src/protocol/generated/describe-cluster-request.ts';
import { defaultMetadataRequest } from '../../src/protocol/generated/metadata-request.ts';
import { defaultFetchRequest } from '../../src/protocol/generated/fetch-request.ts';
import { toWire, type WireMessage } from '../../src/controller/raft/wire.ts';
import { clientFirst, peerMechanism } from '../../src/net/peer-auth.ts';

let broker: RunningBroker;
/** The PEER listener's host and port. */
let peer: { host: string; port: number };
let plain: RawClient;
before(async () => {
  broker = await startBroker({ args: ['--peer-listen', '127.0.0.1:0'] });
  const [host, port] = broker.peerAddress!.split(':');
  peer = { host, port: Number(port) };
  plain = await RawClient.connect(broker.host, broker.port);
});
after(async () => {
  plain?.close();
  await broker?.stop();
});

const clusterId = async () => (await plain.request(60, 0, defaultDescribeClusterRequest())).clusterId as string;
const liveBrokers = async () => ((await plain.request(3, 9, { ...defaultMetadataRequest(), topics: [] })).brokers as { nodeId: number }[]).map((b) => b.nodeId);
const registration = (brokerId: number, cluster: string) => ({
  ...defaultBrokerRegistrationRequest(),
  brokerId,
  clusterId: cluster,
  incarnationId: Buffer.alloc(16, brokerId),
  listeners: [{ name: 'PEER', host: '127.0.0.1', port: 1, securityProtocol: 0 }],
});
const heartbeat = (brokerId: number, brokerEpoch: bigint) => ({ brokerId, brokerEpoch, currentMetadataOffset: 0n, wantFence: true, wantShutDown: true, offlineLogDirs: [] });
const vote = (candidateId: number, cluster: string): WireMessage =>
  toWire({ type: 'Vote', correlationId: 1, candidateEpoch: 1_000, candidateId, voterId: 1, lastOffsetEpoch: 1_000, lastOffset: 1_000_000 }, cluster);
const metadataFetch = (replicaId: number, cluster: string): WireMessage =>
  toWire({ type: 'Fetch', correlationId: 1, replicaId, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: 0, maxWaitMs: 0, maxBytes: 1 << 20 }, cluster);
const replicaFetch = (replicaId: number) => ({
  ...defaultFetchRequest(),
  replicaId,
  maxWaitMs: 0,
  maxBytes: 1 << 20,
  topics: [{ topic: 'anything', topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
});

/** Whether a fresh plain connection to the peer listener sending this request is closed without an answer. */
async function closedUnanswered(apiKey: number, apiVersion: number, body: unknown): Promise<boolean> {
  const client = await RawClient.connect(peer.host, peer.port);
  try {
    return await client.request(apiKey, apiVersion, body).then(
      () => false,
      (err: Error) => /closed before the response/.test(err.message),
    );
  } finally {
    client.close();
  }
}

test('a wrong secret: the server is found out, a forged proof is refused and the connection closed, and both are logged', async () => {
  await assert.rejects(connectAsPeer(peer.host, peer.port, 2, 1, 'another-secret-of-more-than-32-characters'), /does not hold the cluster secret/);
  const forger = await RawClient.connect(peer.host, peer.port);
  try {
    const handshake = await forger.request(17, 1, { mechanism: peerMechanism });
    assert.deepEqual([handshake.errorCode, handshake.mechanisms], [ErrorCode.NONE, [peerMechanism]]);
    const challenge = await forger.request(36, 2, { authBytes: clientFirst(2, 1).message });
    assert.equal(challenge.errorCode, ErrorCode.NONE);
    const forged = await forger.request(36, 2, { authBytes: Buffer.concat([Buffer.of(1), challenge.authBytes.subarray(33)]) });
    assert.equal(forged.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(await forger.closedByPeer(), true);
  } finally {
    forger.close();
  }
  assert.match(broker.log(), /closing connection \d+ from 127\.0\.0\.1:\d+: authentication failed: node 2 did not prove it holds the cluster secret/);
  const client = await RawClient.connect(peer.host, peer.port);
  try {
    assert.equal((await client.request(17, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.equal(await client.closedByPeer(), true, 'an unsupported mechanism ends the connection');
  } finally {
    client.close();
  }
});

test('on the peer listener a plain client is served ApiVersions only: any other request closes its connection unanswered', async () => {
  const cluster = await clusterId();
  const client = await RawClient.connect(peer.host, peer.port);
  try {
    assert.equal((await client.request(18, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '0' })).errorCode, ErrorCode.NONE);
  } finally {
    client.close();
  }
  const forged: [string, number, number, unknown][] = [
    ['BrokerRegistration', 62, 4, registration(100, cluster)],
    ['BrokerHeartbeat', 63, 1, heartbeat(1, 1n)],
    ['AllocateProducerIds', 67, 0, { brokerId: 1, brokerEpoch: 1n }],
    ['AlterPartition', 56, 1, { brokerId: 1, brokerEpoch: 1n, topics: [] }],
    ['a replica Fetch', 1, 12, replicaFetch(1)],
    ['Metadata', 3, 9, { ...defaultMetadataRequest(), topics: [] }],
  ];
  for (const wire of [vote(2, cluster), metadataFetch(2, cluster)]) forged.push([`Raft API ${wire.apiKey}`, wire.apiKey, wire.apiVersion, wire.body]);
  for (const [what, apiKey, apiVersion, body] of forged) assert.equal(await closedUnanswered(apiKey, apiVersion, body), true, what);
  assert.deepEqual(await liveBrokers(), [1], 'no broker 100, and broker 1 neither fenced nor shut down');
});

test('an authenticated node acts only as itself', async () => {
  const cluster = await clusterId();
  const node3 = await connectAsPeer(peer.host, peer.port, 3, 1);
  try {
    const refused = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
    assert.equal((await node3.request(62, 4, registration(2, cluster))).errorCode, refused, 'node 3 registering as node 2');
    assert.equal((await node3.request(63, 1, heartbeat(1, 1n))).errorCode, refused, 'node 3 heartbeating as node 1');
    assert.equal((await node3.request(67, 0, { brokerId: 1, brokerEpoch: 1n })).errorCode, refused, 'node 3 asking producer ids as node 1');
    assert.equal((await node3.request(56, 1, { brokerId: 1, brokerEpoch: 1n, topics: [] })).errorCode, refused, 'node 3 changing an ISR as node 1');
    const fetched = await node3.request(1, 12, replicaFetch(1));
    assert.deepEqual([fetched.errorCode, fetched.responses[0].partitions[0].errorCode], [refused, refused], 'node 3 fetching as replica 1');
    assert.equal((await node3.request(62, 4, registration(3, cluster))).errorCode, ErrorCode.NONE, 'node 3 registering as itself');
    const wire = vote(2, cluster);
    await assert.rejects(node3.request(wire.apiKey, wire.apiVersion, wire.body), /closed/, "a Vote claiming node 2 over node 3's connection");
  } finally {
    node3.close();
  }
  assert.match(broker.log(), /refusing BrokerRegistration from 127\.0\.0\.1:\d+: it claims node 2, its connection is node 3's/);
});

/** The error oclif printed, on one line. */
const errorOf = (stderr: string) => stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ');

test('a node with peers and no secret refuses to start, saying how to give one; the secret is never a setting; peer.authentication=none is logged loudly', async () => {
  const voters = ['--voters', '1@127.0.0.1:1,2@127.0.0.1:2', '--data-dir', '/nonexistent/kb-peerauth'];
  const noSecret = await runKb(['broker', 'start', ...voters], { env: { KB_CLUSTER_SECRET: '' } });
  assert.equal(noSecret.code, 1);
  assert.match(errorOf(noSecret.stderr), /no cluster secret: give every node the same secret with --cluster-secret-file FILE or the KB_CLUSTER_SECRET environment variable/);
  assert.match(errorOf(noSecret.stderr), /--set peer\.authentication=none/);
  const short = await runKb(['broker', 'start', ...voters], { env: { KB_CLUSTER_SECRET: 'too-short' } });
  assert.equal(short.code, 1);
  assert.match(errorOf(short.stderr), /KB_CLUSTER_SECRET holds 9 characters: a cluster secret needs at least 32/);
  const onArgv = await runKb(['broker', 'start', ...voters, '--set', 'cluster.secret=0123456789012345678901234567890123456789']);
  assert.equal(onArgv.code, 1);
  assert.match(errorOf(onArgv.stderr), /the cluster secret is never a setting/);

  const open = await startBroker({ sets: { 'peer.authentication': 'none' }, env: { KB_CLUSTER_SECRET: '' } });
  try {
    assert.match(open.log(), /WARN peer\.authentication=none: peers are not authenticated, anyone who can reach the peer listener can take over the cluster/);
  } finally {
    await open.stop();
  }
});
