import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { connectAsPeer, type PeerClient } from '../helpers/peer-client.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { defaultBrokerRegistrationRequest } from '../../src/protocol/generated/broker-registration-request.ts';
import { defaultDescribeClusterRequest } from '../../src/protocol/generated/describe-cluster-request.ts';
import { defaultMetadataRequest } from '../../src/protocol/generated/metadata-request.ts';
import { defaultCreateTopicsRequest } from '../../src/protocol/generated/create-topics-request.ts';

const sessionTimeoutMs = 1500;
let broker: RunningBroker;
let client: RawClient;
/** Connections authenticated as node id, opened on first use. */
const peers = new Map<number, Promise<PeerClient>>();
before(async () => {
  // The peer APIs are served on the peer listener only, to authenticated nodes: this test speaks as nodes there (asNode), and as a client on the client listener.
  broker = await startBroker({ sets: { 'broker.session.timeout.ms': sessionTimeoutMs, 'broker.heartbeat.interval.ms': 300 }, args: ['--peer-listen', '127.0.0.1:0'] });
  client = await RawClient.connect(broker.host, broker.port);
});
after(async () => {
  client?.close();
  for (const peer of peers.values()) (await peer).close();
  await broker?.stop();
});

/** A connection authenticated as node `nodeId` (broker 1 is the one running). */
const asNode = (nodeId: number): Promise<PeerClient> => {
  const [host, port] = broker.peerAddress!.split(':');
  if (!peers.has(nodeId)) peers.set(nodeId, connectAsPeer(host, Number(port), nodeId, 1));
  return peers.get(nodeId)!;
};

const clusterId = async () => (await client.request(60, 0, defaultDescribeClusterRequest())).clusterId as string;
const liveBrokers = async () => ((await client.request(3, 9, { ...defaultMetadataRequest(), topics: [] })).brokers as { nodeId: number }[]).map((b) => b.nodeId).sort();
const register = async (brokerId: number, cluster: string, incarnation = 1) =>
  (await asNode(brokerId)).request(62, 4, {
    ...defaultBrokerRegistrationRequest(),
    brokerId,
    clusterId: cluster,
    incarnationId: Buffer.alloc(16, incarnation),
    listeners: [
      { name: 'CLIENT', host: '127.0.0.1', port: 1, securityProtocol: 0 },
      { name: 'PEER', host: '127.0.0.1', port: 2, securityProtocol: 0 },
    ],
    rack: 'r2',
  });
const heartbeat = async (brokerId: number, brokerEpoch: bigint, currentMetadataOffset: bigint, wants: { wantShutDown?: boolean } = {}) =>
  (await asNode(brokerId)).request(63, 1, { brokerId, brokerEpoch, currentMetadataOffset, wantFence: false, wantShutDown: wants.wantShutDown ?? false, offlineLogDirs: [] });

test('the broker registered itself over the controller channel and was unfenced before its startup line', async () => {
  assert.deepEqual(await liveBrokers(), [1]);
  const stale = await heartbeat(1, 999n, 0n);
  assert.equal(stale.errorCode, ErrorCode.STALE_BROKER_EPOCH);
});

test('BrokerRegistration and BrokerHeartbeat over the wire: fenced until caught up, then live, fenced again when the session expires', async () => {
  const cluster = await clusterId();
  assert.equal((await register(2, 'another-cluster')).errorCode, ErrorCode.INCONSISTENT_CLUSTER_ID);
  const registered = await register(2, cluster);
  assert.equal(registered.errorCode, ErrorCode.NONE);
  assert.ok(registered.brokerEpoch >= 1n);
  const epoch: bigint = registered.brokerEpoch;
  const behind = await heartbeat(2, epoch, 0n);
  assert.deepEqual([behind.errorCode, behind.isCaughtUp, behind.isFenced], [ErrorCode.NONE, false, true]);
  assert.deepEqual(await liveBrokers(), [1], 'a fenced broker is not in Metadata');
  const caughtUp = await heartbeat(2, epoch, 1_000_000n);
  assert.deepEqual([caughtUp.isCaughtUp, caughtUp.isFenced], [true, false]);
  assert.deepEqual(await liveBrokers(), [1, 2]);
  assert.equal((await heartbeat(2, epoch - 1n, 1_000_000n)).errorCode, ErrorCode.STALE_BROKER_EPOCH);

  const ids = await (await asNode(2)).request(67, 0, { brokerId: 2, brokerEpoch: epoch });
  assert.deepEqual([ids.errorCode, ids.producerIdLen > 0], [ErrorCode.NONE, true]);
  assert.equal((await (await asNode(2)).request(67, 0, { brokerId: 2, brokerEpoch: epoch + 1n })).errorCode, ErrorCode.STALE_BROKER_EPOCH);

  // A topic on brokers 2 and 1, led by 2: its leader may shrink the ISR with AlterPartition.
  const created = await client.request(19, 4, {
    ...defaultCreateTopicsRequest(),
    topics: [{ name: 'lifecycle', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [2, 1] }], configs: [] }],
    timeoutMs: 5000,
  });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
  const partitionState = async () => (await client.request(3, 9, { ...defaultMetadataRequest(), topics: [{ topicId: Buffer.alloc(16), name: 'lifecycle' }] })).topics[0].partitions[0];
  const before = await partitionState();
  assert.deepEqual([before.leaderId, before.isrNodes], [2, [2, 1]]);
  const alter = async (brokerEpoch: bigint, leaderEpoch: number, newIsr: number[]) =>
    (await asNode(2)).request(56, 1, { brokerId: 2, brokerEpoch, topics: [{ topicName: 'lifecycle', topicId: Buffer.alloc(16), partitions: [{ partitionIndex: 0, leaderEpoch, newIsr, newIsrWithEpochs: [], leaderRecoveryState: 0, partitionEpoch: 0 }] }] });
  assert.equal((await alter(epoch + 1n, before.leaderEpoch, [2])).errorCode, ErrorCode.STALE_BROKER_EPOCH);
  assert.equal((await alter(epoch, before.leaderEpoch + 1, [2])).topics[0].partitions[0].errorCode, ErrorCode.FENCED_LEADER_EPOCH);
  const shrunk = (await alter(epoch, before.leaderEpoch, [2])).topics[0].partitions[0];
  assert.deepEqual([shrunk.errorCode, shrunk.leaderId, shrunk.isr, shrunk.partitionEpoch], [ErrorCode.NONE, 2, [2], 1]);
  assert.deepEqual((await partitionState()).isrNodes, [2]);

  // Broker 2 stops heartbeating: after the session timeout it is fenced, and broker 1 (out of the ISR) cannot take over.
  const deadline = Date.now() + sessionTimeoutMs * 4;
  while ((await liveBrokers()).includes(2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await liveBrokers(), [1], 'broker 2 fenced after its session expired; broker 1 heartbeats on');
  const after = await partitionState();
  assert.equal(after.leaderId, -1, 'no clean leader left');
  assert.equal(after.leaderEpoch, before.leaderEpoch + 1);
});

test('a controlled shutdown with nothing to move is answered shouldShutDown at once', async () => {
  const registered = await register(3, await clusterId());
  const answer = await heartbeat(3, registered.brokerEpoch, 1_000_000n, { wantShutDown: true });
  assert.deepEqual([answer.errorCode, answer.shouldShutDown], [ErrorCode.NONE, true]);
});
