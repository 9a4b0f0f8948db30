/**
 * Follower fetching over real sockets: a real broker (node 1) leads a
 * partition whose replicas are made [1, 2] by applying the records a
 * controller would commit, and node 2 is a ReplicaManager of its own (own
 * image, own logs) that follows it with its fetch loop. acks=all produce
 * to node 1 answers only once node 2 has the batch; node 2's log then
 * holds the leader's batches byte for byte, with the high watermark.
 * A follower that learns of a new partition before its leader has opened
 * the log is served once the log is open, not refused; one added while the
 * follower's fetch is parked at the leader is fetched at once. A leader
 * (here a fake one on a real socket) whose answer carries impossible
 * offsets is refused with a log line; the follower's log is left as it was.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Broker } from '../../../src/broker/broker.ts';
import { BrokerConfig } from '../../../src/broker/config.ts';
import { systemTime } from '../../../src/clock.ts';
import { ReplicaManager, replicationSettings } from '../../../src/broker/replica/replica-manager.ts';
import { TopicConfigs } from '../../../src/broker/topic-configs.ts';
import { peerLogin } from '../../../src/net/peer-login.ts';
import { BrokerConnection } from '../../../src/net/connection.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { endpointOf, type MetadataRecord, type PartitionRecord } from '../../../src/metadata/records.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { decodeRequestHeader, encodeResponse } from '../../../src/protocol/frames.ts';
import { defaultApiVersionsResponse } from '../../../src/protocol/generated/api-versions-response.ts';
import { defaultFetchResponse, defaultPartitionData, type PartitionData } from '../../../src/protocol/generated/fetch-response.ts';
import type { Logger } from '../../../src/logger.ts';
import { batch, silent } from './helpers.ts';

/** A temporary directory, removed after `close` when the test ends. */
async function tempDir(t: TestContext, name: string, close: () => Promise<void>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `kb-${name}-`));
  t.after(async () => {
    await close();
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

async function eventually(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The secret the leader and the followers' fetchers authenticate with. */
const clusterSecret = Buffer.from('replica-fetcher-test-secret-0123456789');

/** A real broker (node 1, the leader) and a client connected to it; both stop when the test ends. */
async function startLeader(t: TestContext): Promise<{ leader: Broker; client: BrokerConnection }> {
  const leaderDir = await tempDir(t, 'leader', () => leader.stop());
  const loopback = { host: '127.0.0.1', port: 0 };
  const leader = new Broker({ config: new BrokerConfig(), listen: loopback, peerListen: loopback, dataDir: leaderDir, logger: silent, clusterSecret });
  await leader.start();
  // The test's client fetches as follower 2: a replica fetch, served on the peer listener only, to the node it authenticated as.
  const { host, port } = endpointOf(leader.image.brokers.get(1)!, 'PEER')!;
  const authenticate = peerLogin({ nodeId: 2, secret: clusterSecret }, 1);
  const client = new BrokerConnection({ host, port, clientId: 'test', requestTimeoutMs: 15_000, connectTimeoutMs: 5_000, authenticate });
  await client.connect();
  t.after(() => client.close());
  return { leader, client };
}

/** A started ReplicaManager of its own (own image, own logs) for the node and settings of `settings`; closed when the test ends. */
async function startReplicas(t: TestContext, image: MetadataImage, settings: [string, string][], logger: Logger = silent): Promise<ReplicaManager> {
  const config = new BrokerConfig(settings);
  const replicas = new ReplicaManager({
    credentials: config.string('peer.authentication') === 'none' ? null : { nodeId: config.int('node.id'), secret: clusterSecret },
    nodeId: config.int('node.id'),
    logsDir: await tempDir(t, 'replicas', () => replicas.close()),
    image,
    topicConfigs: new TopicConfigs(config, image),
    recoveryThreads: 1,
    logger,
    replication: replicationSettings(config),
    interBrokerListener: 'PEER',
    time: systemTime,
  });
  await replicas.start();
  return replicas;
}

test('a follower fetches from the leader over the wire and acks=all waits for it', async (t) => {
  const { leader, client } = await startLeader(t);
  const [created] = await leader.controller.createTopics([{ name: 'r', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], false);
  assert.equal(created.errorCode, ErrorCode.NONE);
  await leader.replicas.topicReady('r');
  const topic = leader.image.topicsByName.get('r')!;
  const leaderRecord = leader.image.brokers.get(1)!;

  // What the controller would commit when node 2 joins the replicas of r-0.
  const follower: MetadataRecord = { type: 'broker', nodeId: 2, endpoints: [{ name: 'PEER', host: '127.0.0.1', port: 1, securityProtocol: 'PLAINTEXT' }], rack: null, epoch: 1, fenced: false };
  const partition: PartitionRecord = { ...topic.partitions[0], replicas: [1, 2], isr: [1, 2], leaderEpoch: 1, partitionEpoch: 1 };
  for (const record of [follower, partition]) {
    leader.image.apply(record);
    leader.replicas.onMetadataRecord(record);
  }

  const image = new MetadataImage();
  for (const record of [leaderRecord, follower, { type: 'topic', name: 'r', topicId: topic.topicId } as MetadataRecord, partition]) image.apply(record);
  const replicas = await startReplicas(t, image, [['node.id', '2'], ['replica.fetch.wait.max.ms', '200'], ['replica.fetch.backoff.ms', '100']]);
  const replica = replicas.hostedPartitions()[0];
  assert.equal(replica.isLeader, false);

  const produce = (records: number) =>
    client.request(0, 8, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'r', partitionData: [{ index: 0, records: batch(records) }] }] });
  for (const [records, baseOffset] of [[3, 0n], [2, 3n]] as const) {
    const response = await produce(records);
    const answer = response.responses[0].partitionResponses[0];
    assert.equal(answer.errorCode, ErrorCode.NONE, answer.errorMessage ?? undefined);
    assert.equal(answer.baseOffset, baseOffset);
    assert.ok(replica.log.logEndOffset >= baseOffset + BigInt(records), 'acknowledged only once the follower has it');
  }
  const leaderPartition = leader.replicas.leaderPartition('r', 0);
  assert.ok(!('errorCode' in leaderPartition));
  assert.equal(leaderPartition.highWatermark, 5n);
  await eventually('the follower high watermark', () => replica.highWatermark === 5n);
  assert.deepEqual(await replica.log.read(0n, 1 << 20), await leaderPartition.log.read(0n, 1 << 20), 'the same batches, byte for byte');
  assert.equal(replica.log.latestEpoch, 1);

  // A consumer fetch at the follower is refused; a follower fetch from a non-replica at the leader too, and one claiming another node's id.
  const node3 = new BrokerConnection({ host: '127.0.0.1', port: endpointOf(leader.image.brokers.get(1)!, 'PEER')!.port, clientId: 'test', requestTimeoutMs: 15_000, connectTimeoutMs: 5_000, authenticate: peerLogin({ nodeId: 3, secret: clusterSecret }, 1) });
  await node3.connect();
  t.after(() => node3.close());
  const fetch = (replicaId: number, currentLeaderEpoch: number, connection = client) =>
    connection.request(1, 12, {
      replicaId, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [], clusterId: null,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      topics: [{ topic: 'r', topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
    }).then((r) => r.responses[0].partitions[0]);
  assert.equal((await fetch(3, 1, node3)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal((await fetch(3, 1)).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "node 2's connection fetching as replica 3");
  assert.equal((await fetch(-1, 0)).errorCode, ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal((await fetch(-1, 2)).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
  const consumed = await fetch(-1, 1);
  assert.equal(consumed.errorCode, ErrorCode.NONE);
  assert.equal(consumed.highWatermark, 5n);

  const lookup = await client.request(23, 4, { replicaId: -1, topics: [{ topic: 'r', partitions: [{ partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 }] }] });
  assert.deepEqual(lookup.topics[0].partitions[0], { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 0n }, 'epoch 0 ended where epoch 1 began');
});

test('a follower fetch for a partition its leader is still opening is answered once the log is open', async (t) => {
  const { leader, client } = await startLeader(t);

  // What the controller commits for a new topic led here with node 2 as follower; node 2 may learn of it first.
  const records: MetadataRecord[] = [
    { type: 'broker', nodeId: 2, endpoints: [{ name: 'PEER', host: '127.0.0.1', port: 1, securityProtocol: 'PLAINTEXT' }], rack: null, epoch: 1, fenced: false },
    { type: 'topic', name: 'fresh', topicId: 'f'.repeat(32) },
    { type: 'partition', topicId: 'f'.repeat(32), partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
  ];
  for (const record of records) {
    leader.image.apply(record);
    leader.replicas.onMetadataRecord(record);
  }
  const opening = leader.replicas.leaderPartition('fresh', 0);
  assert.ok('errorCode' in opening && opening.errorCode === ErrorCode.LEADER_NOT_AVAILABLE, 'the log is still being opened as the fetch is sent');
  const answer = await client.request(1, 12, {
    replicaId: 2, maxWaitMs: 5_000, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [], clusterId: null,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    topics: [{ topic: 'fresh', topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: 0, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
  });
  const partition = answer.responses[0].partitions[0];
  assert.equal(partition.errorCode, ErrorCode.NONE, 'not LEADER_NOT_AVAILABLE, which would rest the follower for replica.fetch.backoff.ms');
  assert.equal(partition.highWatermark, 0n);
});

test('whenOpened waits for a partition being opened, and not past its time limit', async (t) => {
  const image = new MetadataImage();
  const replicas = await startReplicas(t, image, [['node.id', '1']]);
  const records: MetadataRecord[] = [
    { type: 'topic', name: 'fresh', topicId: 'e'.repeat(32) },
    { type: 'partition', topicId: 'e'.repeat(32), partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
  ];
  for (const record of records) {
    image.apply(record);
    replicas.onMetadataRecord(record);
  }
  const wanted = [{ topic: 'fresh', partition: 0 }];
  await replicas.whenOpened(wanted, 0);
  assert.equal((replicas.leaderPartition('fresh', 0) as { errorCode?: number }).errorCode, ErrorCode.LEADER_NOT_AVAILABLE, 'no wait with no time');
  await replicas.whenOpened(wanted, 10_000);
  assert.ok(!('errorCode' in replicas.leaderPartition('fresh', 0)), 'open once the wait returns');
});

test("a partition added while the follower's fetch is parked at the leader is fetched at once, not after replica.fetch.wait.max.ms", async (t) => {
  const { leader, client } = await startLeader(t);
  const leaderRecord = leader.image.brokers.get(1)!;
  const image = new MetadataImage();
  image.apply(leaderRecord);
  const apply = (records: MetadataRecord[], follower?: ReplicaManager) => {
    for (const record of records) {
      leader.image.apply(record);
      leader.replicas.onMetadataRecord(record);
      image.apply(record);
      follower?.onMetadataRecord(record);
    }
  };
  const topic = (name: string, topicId: string): MetadataRecord[] => [
    { type: 'topic', name, topicId },
    { type: 'partition', topicId, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
  ];
  apply([{ type: 'broker', nodeId: 2, endpoints: [{ name: 'PEER', host: '127.0.0.1', port: 1, securityProtocol: 'PLAINTEXT' }], rack: null, epoch: 1, fenced: false }, ...topic('first', 'a'.repeat(32))]);
  // A parked fetch would hold the new partition back twice as long as the test waits for it (and the leader's stop waits for it).
  const replicas = await startReplicas(t, image, [['node.id', '2'], ['replica.fetch.wait.max.ms', '6000']]);

  const produce = async (name: string) => {
    const response = await client.request(0, 8, { transactionalId: null, acks: -1, timeoutMs: 5_000, topicData: [{ name, partitionData: [{ index: 0, records: batch(2) }] }] });
    return response.responses[0].partitionResponses[0];
  };
  assert.equal((await produce('first')).errorCode, ErrorCode.NONE);
  await new Promise((resolve) => setTimeout(resolve, 200)); // the follower's next fetch is parked at the leader by now

  apply(topic('second', 'b'.repeat(32)), replicas);
  await leader.replicas.topicReady('second');
  assert.equal((await produce('second')).errorCode, ErrorCode.NONE);
  const second = replicas.hostedPartitions().find((p) => p.topic === 'second')!;
  await eventually("the follower's copy of the new partition, well before the parked fetch returns", () => second.log.logEndOffset === 2n, 3_000);
});

/** A fake leader on a real socket: answers ApiVersions, and every Fetch with `answer()` as partition t-0; counts the fetches. */
async function fakeLeader(t: TestContext, answer: () => Partial<PartitionData>): Promise<{ port: number; fetches: () => number }> {
  let fetches = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const payload = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + payload.length);
        const { apiKey, apiVersion, correlationId } = decodeRequestHeader(payload);
        if (apiKey === 1) fetches++;
        const body =
          apiKey === 1
            ? { ...defaultFetchResponse(), responses: [{ topic: 't', topicId: Buffer.alloc(16), partitions: [{ ...defaultPartitionData(), partitionIndex: 0, ...answer() }] }] }
            : { ...defaultApiVersionsResponse(), apiKeys: [{ apiKey: 1, minVersion: 0, maxVersion: 12 }] };
        socket.write(encodeResponse(apiKey, apiVersion, correlationId, body));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.close();
    for (const socket of sockets) socket.destroy();
  });
  return { port: (server.address() as net.AddressInfo).port, fetches: () => fetches };
}

test("a leader's answer with impossible offsets is refused before it reaches the follower's log", async (t) => {
  const answers: Partial<PartitionData>[] = [
    // Past the leader's log end would truncate to its high watermark: a negative one restarted the log at -1.
    { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: -1n, logStartOffset: -7n },
    // Below the leader's log start would restart there: beyond offsetMax the offset is not even exact in the log.
    { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: 2n ** 62n, logStartOffset: 2n ** 62n },
    { errorCode: ErrorCode.NONE, highWatermark: 5n, logStartOffset: 9n },
  ];
  let current = answers[0];
  const leader = await fakeLeader(t, () => current);
  const image = new MetadataImage();
  const records: MetadataRecord[] = [
    { type: 'broker', nodeId: 1, endpoints: [{ name: 'PEER', host: '127.0.0.1', port: leader.port, securityProtocol: 'PLAINTEXT' }], rack: null, epoch: 1, fenced: false },
    { type: 'broker', nodeId: 2, endpoints: [{ name: 'PEER', host: '127.0.0.1', port: 1, securityProtocol: 'PLAINTEXT' }], rack: null, epoch: 1, fenced: false },
    { type: 'topic', name: 't', topicId: 'c'.repeat(32) },
    { type: 'partition', topicId: 'c'.repeat(32), partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
  ];
  for (const record of records) image.apply(record);
  const lines: string[] = [];
  const record = (line: string) => void lines.push(line);
  // The fake leader speaks no SASL: the follower does not authenticate.
  const settings: [string, string][] = [['node.id', '2'], ['replica.fetch.wait.max.ms', '50'], ['replica.fetch.backoff.ms', '20'], ['peer.authentication', 'none']];
  const replicas = await startReplicas(t, image, settings, { info: record, warn: record, error: record });
  const follower = replicas.hostedPartitions()[0];
  for (const answer of answers) {
    current = answer;
    const answered = leader.fetches();
    // The fetch after next was sent after the follower had handled an answer with these offsets.
    await eventually('two more fetches', () => leader.fetches() >= answered + 2);
    assert.equal(follower.log.logStartOffset, 0n, `the log start stays (answer ${JSON.stringify(answer, (_k, v) => (typeof v === 'bigint' ? String(v) : v))})`);
    assert.equal(follower.log.logEndOffset, 0n);
    assert.equal(follower.log.highWatermark, 0n);
  }
  for (const refusal of [/negative log start offset -7/, /high watermark 4611686018427387904 beyond/, /log start offset 9 past its high watermark 5/]) {
    assert.ok(lines.some((line) => line.startsWith('replicating t-0 from broker 1 failed: ') && refusal.test(line)), `${refusal} in:\n${lines.join('\n')}`);
  }
});
