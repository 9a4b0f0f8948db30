/**
 * Bad input on the wire: after each kind, the broker process is still
 * running and a real client (kcat: metadata, produce with acks=all on fresh
 * connections, consume to the end) is still served. Where Kafka defines an
 * answer the test checks it: oversized and negative frame lengths and a TLS
 * ClientHello close the connection; an unknown API key gets error 35
 * (UNSUPPORTED_VERSION) or a closed connection; corrupt record batches get
 * a per-partition error and append nothing, on a connection that stays
 * usable. The broker runs with max.connections=200, so connections that are
 * dropped but not released would show up as refused clients. Raft requests
 * naming this node or an absurd epoch are refused, and a thousand seeded
 * corruptions of client and Raft requests leave the quorum's epoch alone
 * and log no internal error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { parseHostPort } from '../../src/net/host-port.ts';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { kcatConsumeAll, kcatMetadata, kcatOk } from '../helpers/kcat.ts';
import { RawConnection } from '../helpers/raw-kafka.ts';
import { runKb } from '../helpers/cli.ts';
import { toWire } from '../../src/controller/raft/wire.ts';
import type { RaftMessage } from '../../src/controller/raft/messages.ts';
import { senderOf } from '../../src/controller/quorum/raft-errors.ts';
import * as describeCluster from '../../src/protocol/generated/describe-cluster-request.ts';
import * as describeConfigs from '../../src/protocol/generated/describe-configs-request.ts';
import * as describeGroups from '../../src/protocol/generated/describe-groups-request.ts';
import * as fetch from '../../src/protocol/generated/fetch-request.ts';
import * as findCoordinator from '../../src/protocol/generated/find-coordinator-request.ts';
import * as heartbeat from '../../src/protocol/generated/heartbeat-request.ts';
import * as joinGroup from '../../src/protocol/generated/join-group-request.ts';
import * as leaveGroup from '../../src/protocol/generated/leave-group-request.ts';
import * as listGroups from '../../src/protocol/generated/list-groups-request.ts';
import * as listOffsets from '../../src/protocol/generated/list-offsets-request.ts';
import * as metadata from '../../src/protocol/generated/metadata-request.ts';
import * as offsetCommit from '../../src/protocol/generated/offset-commit-request.ts';
import * as offsetFetch from '../../src/protocol/generated/offset-fetch-request.ts';
import * as syncGroup from '../../src/protocol/generated/sync-group-request.ts';

const g = { describeCluster, describeConfigs, describeGroups, fetch, findCoordinator, heartbeat, joinGroup, leaveGroup, listGroups, listOffsets, metadata, offsetCommit, offsetFetch, syncGroup };
import { uniqueTopic } from '../helpers/records.ts';
import { decodeResponse, encodeRequest } from '../../src/protocol/frames.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { offsets as batchOffsets, updateBatchCrc } from '../../src/protocol/records/batch-header.ts';
import type { ProduceRequest } from '../../src/protocol/generated/produce-request.ts';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.ts';
import type { ApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.ts';

const corruptMessage = 2;
const unsupportedVersion = 35;
const invalidRecord = 87;
const invalidRequest = 42;
const maxConnections = 200;

let broker: RunningBroker;
const healthTopic = uniqueTopic('bad-input-health');
let probes = 0;

before(async () => {
  // A peer listener too: the Raft requests below are served there only.
  broker = await startBroker({ sets: { 'max.connections': maxConnections }, args: ['--peer-listen', '127.0.0.1:0'] });
});
after(async () => {
  await broker?.stop();
});

/** The broker is alive and serves a real client on fresh connections: metadata, produce (acks=all), consume. */
async function assertServing(what: string): Promise<void> {
  assert.equal(broker.process.exitCode, null, `the broker exited after ${what}:\n${broker.log()}`);
  assert.equal(broker.process.signalCode, null, `the broker died after ${what}:\n${broker.log()}`);
  const metadata = await kcatMetadata(broker.address);
  assert.deepEqual(metadata.brokers, [{ id: 1, name: broker.address }], `metadata after ${what}`);
  const probe = `probe-${probes + 1}`;
  await kcatOk(['-b', broker.address, '-P', '-t', healthTopic, '-K', ':', '-X', 'acks=all'], { input: `${what}:${probe}\n` });
  probes++;
  const records = await kcatConsumeAll(broker.address, healthTopic);
  assert.equal(records.length, probes, `every probe record so far is stored (after ${what})`);
  assert.deepEqual({ key: records.at(-1)?.key, value: records.at(-1)?.value, offset: records.at(-1)?.offset }, { key: what, value: probe, offset: probes - 1 });
}

/** The metadata quorum's leader and epoch, as `kb cluster quorum` reports them. */
async function quorum(): Promise<{ leaderId: number; leaderEpoch: number }> {
  const result = await runKb(['cluster', 'quorum', '--json', '-b', broker.address]);
  assert.equal(result.code, 0, result.stderr);
  const { leaderId, leaderEpoch } = JSON.parse(result.stdout);
  return { leaderId, leaderEpoch };
}

/** A fresh single-partition topic (auto-created by kcat) holding two good records, offsets 0 and 1. */
async function topicWithTwoRecords(prefix: string): Promise<string> {
  const topic = uniqueTopic(prefix);
  await kcatOk(['-b', broker.address, '-P', '-t', topic, '-K', ':', '-X', 'acks=all'], { input: 'good-0:first\ngood-1:second\n' });
  return topic;
}

/**
 * After bad batches to `topic`: nothing was appended and no offset was used
 * up, so a well-formed batch (sent raw, on a new connection) lands at offset
 * 2 and the topic reads back as exactly the good records.
 */
async function assertNothingAppended(topic: string, what: string): Promise<void> {
  const answer = await produceRaw(topic, goodBatch(3));
  assert.deepEqual(answer, { errorCode: 0, baseOffset: 2n }, `a good batch after ${what} gets the next offset, 2`);
  const records = await kcatConsumeAll(broker.address, topic);
  assert.deepEqual(
    records.map((r) => ({ offset: r.offset, key: r.key, value: r.value, headers: r.headers })),
    [
      { offset: 0, key: 'good-0', value: 'first', headers: [] },
      { offset: 1, key: 'good-1', value: 'second', headers: [] },
      ...[0, 1, 2].map((i) => ({ offset: 2 + i, key: `k${i}`, value: `value number ${i}`, headers: [['h', String(i)]] })),
    ],
    `the topic holds only the good records after ${what}`,
  );
}

async function open(): Promise<RawConnection> {
  return RawConnection.open(broker.host, broker.port);
}

/** A connection to the peer listener, where the Raft APIs are served, authenticated as node `nodeId` (a request there acts only as its connection's node). */
async function openPeer(nodeId: number): Promise<RawConnection> {
  const { host, port } = parseHostPort(broker.peerAddress!);
  return RawConnection.openAsPeer(host, port, nodeId, 1);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** Deterministic bytes (mulberry32), so a failure can be replayed. */
function pseudoRandomBytes(seed: number, length: number): Buffer {
  let a = seed >>> 0;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

function produceBody(topic: string, records: Buffer): ProduceRequest {
  return { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

function goodBatch(count = 3): Buffer {
  return encodeRecordBatch({
    baseTimestamp: BigInt(Date.now()),
    records: Array.from({ length: count }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`value number ${i}`),
      headers: [{ key: 'h', value: Buffer.from(String(i)) }],
    })),
  });
}

/** Sends a Produce v7 (acks=all) with `batch` for `topic` partition 0 and returns that partition's answer; the connection must stay usable. */
async function produceRaw(topic: string, batch: Buffer): Promise<{ errorCode: number; baseOffset: bigint }> {
  const connection = await open();
  try {
    const { body } = await connection.request<ProduceResponse>(0, 7, produceBody(topic, batch));
    assert.equal(body.responses.length, 1);
    assert.equal(body.responses[0].name, topic);
    const [partition] = body.responses[0].partitionResponses;
    assert.equal(partition.index, 0);
    // A per-partition error leaves the connection open and in sync.
    const versions = await connection.request<ApiVersionsResponse>(18, 0, {});
    assert.equal(versions.body.errorCode, 0, 'ApiVersions on the same connection after the Produce answer');
    return { errorCode: partition.errorCode, baseOffset: partition.baseOffset };
  } finally {
    connection.destroy();
  }
}

test('a frame length of 0x7fffffff closes that connection; the broker keeps serving', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const connection = await open();
  t.after(() => connection.destroy());
  await connection.write(Buffer.concat([int32(0x7fffffff), Buffer.alloc(64, 1)]));
  assert.equal(await connection.waitClosed(5000), true, 'the broker closes a connection whose frame exceeds socket.request.max.bytes');
  await assertServing('length 0x7fffffff');
});

test('negative frame lengths close the connection; the broker keeps serving', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  for (const length of [-1, -0x80000000]) {
    const connection = await open();
    t.after(() => connection.destroy());
    await connection.write(Buffer.concat([int32(length), Buffer.alloc(16)]));
    assert.equal(await connection.waitClosed(5000), true, `frame length ${length} closes the connection`);
  }
  await assertServing('negative lengths');
});

test('random bytes, raw and inside a well-sized frame, do not take the broker down', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  for (const seed of [1, 2, 3, 4]) {
    const connection = await open();
    t.after(() => connection.destroy());
    let bytes = pseudoRandomBytes(seed, 4096);
    // Seeds 3 and 4: a correct size prefix, so the random bytes reach header parsing.
    if (seed >= 3) bytes = Buffer.concat([int32(200), bytes.subarray(0, 200), int32(300), bytes.subarray(200, 500)]);
    await connection.write(bytes);
    // The broker may answer with an error or close; either way it must not hang this test or die.
    await connection.waitClosed(1000);
    connection.destroy();
  }
  await assertServing('random bytes');
});

test('a TLS ClientHello on the plaintext port is refused by closing the connection', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const outcome = await new Promise<{ secure: boolean; closed: boolean }>((resolve) => {
    let secure = false;
    const socket = tls.connect({ host: broker.host, port: broker.port, rejectUnauthorized: false, servername: 'localhost' });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ secure, closed: false });
    }, 5000);
    socket.on('secureConnect', () => (secure = true));
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ secure, closed: true });
    });
  });
  assert.deepEqual(outcome, { secure: false, closed: true }, 'no TLS session, and the broker closes the connection within 5 s');
  await assertServing('TLS ClientHello');
});

test('a truncated frame followed by the client closing leaves the broker serving', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const connection = await open();
  t.after(() => connection.destroy());
  const whole = encodeRequest(3, 1, 7, 'truncated', { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const truncated = Buffer.concat([int32(whole.length - 4 + 100), whole.subarray(4)]);
  await connection.write(truncated);
  connection.socket.end(); // half-close: the rest of the frame never comes
  assert.equal(await connection.waitClosed(5000), true, 'the broker closes its side when the client ends mid-frame');
  await assertServing('truncated frame');
});

test('an unknown API key gets UNSUPPORTED_VERSION with its correlation id, or a closed connection', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const connection = await open();
  t.after(() => connection.destroy());
  const clientId = Buffer.from('kb-bad-input-test');
  const header = Buffer.alloc(10);
  header.writeInt16BE(1000, 0); // api key no Kafka version defines
  header.writeInt16BE(0, 2);
  header.writeInt32BE(424242, 4);
  header.writeInt16BE(clientId.length, 8);
  const payload = Buffer.concat([header, clientId, Buffer.alloc(8, 0xab)]);
  await connection.write(Buffer.concat([int32(payload.length), payload]));
  const frame = await connection.nextFrame(5000);
  if (frame !== null) {
    assert.ok(frame.length >= 6, `a response of ${frame.length} bytes holds a correlation id and an error code`);
    assert.equal(frame.readInt32BE(0), 424242, 'the response carries the request correlation id');
    assert.equal(frame.readInt16BE(4), unsupportedVersion, 'error 35 UNSUPPORTED_VERSION');
  }
  await assertServing('unknown API key');
});

test('ApiVersions at a version above the broker maximum gets a v0 body with UNSUPPORTED_VERSION and the API list', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const connection = await open();
  t.after(() => connection.destroy());
  const frame = encodeRequest(18, 3, 99, 'kb-bad-input-test', { clientSoftwareName: 'kb-test', clientSoftwareVersion: '1' });
  frame.writeInt16BE(999, 6); // request_api_version
  await connection.write(frame);
  const answer = await connection.nextFrame(5000);
  assert.ok(answer, 'the broker answers instead of closing');
  const decoded = decodeResponse(18, 0, answer) as { correlationId: number; body: ApiVersionsResponse };
  assert.equal(decoded.correlationId, 99);
  assert.equal(decoded.body.errorCode, unsupportedVersion);
  const apiVersions = decoded.body.apiKeys.find((k) => k.apiKey === 18);
  assert.ok(apiVersions && apiVersions.minVersion === 0 && apiVersions.maxVersion >= 3, `ApiVersions itself is listed: ${JSON.stringify(apiVersions)}`);
  await assertServing('ApiVersions v999');
});

test('Produce with a corrupt batch CRC gets CORRUPT_MESSAGE and appends nothing', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const topic = await topicWithTwoRecords('bad-crc');
  const batch = goodBatch();
  batch[batch.length - 1] ^= 0xff; // a byte the CRC covers, CRC left as it was
  const answer = await produceRaw(topic, batch);
  assert.equal(answer.errorCode, corruptMessage, `error code ${answer.errorCode}`);
  await assertNothingAppended(topic, 'a batch with a bad CRC');
  await assertServing('corrupt CRC');
});

test('Produce with a batch whose record count lies (too many, too few) is refused and appends nothing', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  for (const claimed of [5, 2]) {
    await t.test(`3 records declared as ${claimed}`, async () => {
      const topic = await topicWithTwoRecords(`bad-count-${claimed}`);
      const batch = goodBatch(3);
      batch.writeInt32BE(claimed, batchOffsets.recordCount);
      batch.writeInt32BE(claimed - 1, batchOffsets.lastOffsetDelta); // consistent with the lie, so only the records betray it
      updateBatchCrc(batch);
      const answer = await produceRaw(topic, batch);
      assert.ok(
        answer.errorCode === corruptMessage || answer.errorCode === invalidRecord,
        `3 records declared as ${claimed}: expected CORRUPT_MESSAGE (2) or INVALID_RECORD (87), got ${answer.errorCode} (base offset ${answer.baseOffset})`,
      );
      await assertNothingAppended(topic, `a batch of 3 records declaring ${claimed}`);
    });
  }
  await assertServing('lying record counts');
});

test('Produce with a gzip-flagged batch whose payload is not gzip gets CORRUPT_MESSAGE and appends nothing', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const topic = await topicWithTwoRecords('bad-gzip');
  const batch = goodBatch();
  batch.writeInt16BE(batch.readInt16BE(batchOffsets.attributes) | 1, batchOffsets.attributes); // codec 1 = gzip
  updateBatchCrc(batch);
  const answer = await produceRaw(topic, batch);
  assert.equal(answer.errorCode, corruptMessage, `error code ${answer.errorCode}`);
  await assertNothingAppended(topic, 'a gzip-flagged batch that is not gzip');
  await assertServing('fake gzip');
});

test('1,000 connections opened and dropped (FIN, RST, mid-frame) leave the broker serving and its connection slots free', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const total = 1000;
  const parallel = 50;
  let connected = 0;
  for (let start = 0; start < total; start += parallel) {
    await Promise.all(
      Array.from({ length: parallel }, (_, j) => start + j).map(
        (i) =>
          new Promise<void>((resolve) => {
            const socket = net.connect({ host: broker.host, port: broker.port });
            const timer = setTimeout(() => {
              socket.destroy();
              resolve();
            }, 5000);
            const done = () => {
              clearTimeout(timer);
              resolve();
            };
            socket.on('error', () => {});
            socket.once('close', done);
            socket.once('connect', () => {
              connected++;
              if (i % 3 === 0) socket.destroy(); // FIN
              else if (i % 3 === 1) socket.resetAndDestroy(); // RST
              else socket.end(Buffer.concat([int32(64), Buffer.from('half a frame')])); // mid-frame, then FIN
            });
          }),
      ),
    );
  }
  assert.equal(connected, total, 'every connection was accepted');
  await assertServing('1,000 dropped connections');

  // Connection slots are released: 150 simultaneous connections (limit 200) all get an answer.
  const held = await Promise.all(Array.from({ length: 150 }, () => open()));
  t.after(() => held.forEach((c) => c.destroy()));
  const answers = await Promise.all(held.map((c) => c.request<ApiVersionsResponse>(18, 0, {}).then((r) => r.body.errorCode)));
  assert.deepEqual(answers, Array(150).fill(0), 'all 150 held connections are served');
});

test('Produce acks=all with a negative timeout is acknowledged like any other, without a warning from the broker', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const topic = await topicWithTwoRecords('negative-timeout');
  const connection = await open();
  t.after(() => connection.destroy());
  const { body } = await connection.request<ProduceResponse>(0, 7, { ...produceBody(topic, goodBatch(1)), timeoutMs: -5 });
  assert.deepEqual(
    { errorCode: body.responses[0].partitionResponses[0].errorCode, baseOffset: body.responses[0].partitionResponses[0].baseOffset },
    { errorCode: 0, baseOffset: 2n },
    'rf=1: the in-sync replicas have it at once',
  );
  await assertServing('a negative produce timeout'); // also gives a warning time to reach the log
  assert.doesNotMatch(broker.log(), /Warning/, 'no process warning (TimeoutNegativeWarning) on the broker stderr');
});

test("Raft requests from this node's own id, or naming an epoch near int32's end, are refused and the quorum carries on", async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const epochBefore = (await quorum()).leaderEpoch;
  // Before the fix, the Vote moved the node to epoch 2^31 - 1; its next election needed epoch 2^31, which
  // does not fit the wire's int32: the quorum failed, the broker stopped and could not start again.
  const requests: RaftMessage[] = [
    { type: 'Vote', correlationId: 1, candidateEpoch: 2 ** 31 - 1, candidateId: 1, voterId: 1, lastOffsetEpoch: 2 ** 31 - 1, lastOffset: 1e9 },
    { type: 'Vote', correlationId: 2, candidateEpoch: 2 ** 31 - 1, candidateId: 2, voterId: 1, lastOffsetEpoch: 2 ** 31 - 1, lastOffset: 1e9 },
    { type: 'BeginQuorumEpoch', correlationId: 3, voterId: 1, leaderId: 1, leaderEpoch: epochBefore + 5 },
    { type: 'EndQuorumEpoch', correlationId: 4, leaderId: 1, leaderEpoch: epochBefore + 5, preferredSuccessors: [1] },
  ];
  for (const request of requests) {
    const wire = toWire(request, '');
    const connection = await openPeer(senderOf(request as Parameters<typeof senderOf>[0]));
    t.after(() => connection.destroy());
    const { body } = await connection.request<{ errorCode: number }>(wire.apiKey, wire.apiVersion, wire.body);
    assert.equal(body.errorCode, invalidRequest, `${request.type} (correlation ${request.correlationId}) is answered INVALID_REQUEST`);
  }
  // A Vote whose body decodes but addresses two partitions is malformed, not an internal error.
  const vote = toWire(requests[1], '') as { apiKey: number; apiVersion: number; body: { topics: unknown[] } };
  const twoTopics = await openPeer(2);
  t.after(() => twoTopics.destroy());
  await twoTopics.write(encodeRequest(vote.apiKey, vote.apiVersion, 5, 'kb-bad-input-test', { ...vote.body, topics: [vote.body.topics[0], vote.body.topics[0]] }));
  assert.equal(await twoTopics.waitClosed(5000), true, 'a malformed Raft request closes its connection');
  assert.match(broker.log(), /malformed 52v\d+ request from kb-bad-input-test: a Raft Vote addresses exactly one partition/);
  await sleep(3000); // past an election timeout: the node would have stood for election by now
  assert.deepEqual(await quorum(), { leaderId: 1, leaderEpoch: epochBefore }, 'same leader, same epoch');
  await assertServing('Raft requests naming this node or a huge epoch');
  assert.match(broker.log(), /metadata quorum: refused a Vote request from node 2: it names epoch 2147483647, past the highest taken/);
});

/**
 * Well-formed requests of the APIs clients and voters send (none that deletes, creates or fences):
 * what the mutation test below corrupts; `peer`: sent to the peer listener (the Raft requests).
 */
function requestsToMutate(topic: string): { frame: Buffer; peer: boolean }[] {
  const group = 'mutated-group';
  const bodies: [number, number, unknown][] = [
    [0, 7, produceBody(topic, goodBatch(3))],
    [1, 11, { ...g.fetch.defaultFetchRequest(), maxWaitMs: 100, minBytes: 1, maxBytes: 100_000, topics: [{ ...g.fetch.defaultFetchTopic(), topic, partitions: [{ ...g.fetch.defaultFetchPartition(), fetchOffset: 0n, partitionMaxBytes: 100_000 }] }] }],
    [2, 5, { ...g.listOffsets.defaultListOffsetsRequest(), topics: [{ ...g.listOffsets.defaultListOffsetsTopic(), name: topic, partitions: [{ ...g.listOffsets.defaultListOffsetsPartition(), timestamp: -1n }] }] }],
    [3, 9, { ...g.metadata.defaultMetadataRequest(), topics: [{ ...g.metadata.defaultMetadataRequestTopic(), name: topic }], allowAutoTopicCreation: false }],
    [3, 1, { ...g.metadata.defaultMetadataRequest(), topics: null }],
    [8, 8, { ...g.offsetCommit.defaultOffsetCommitRequest(), groupId: group, generationIdOrMemberEpoch: -1, topics: [{ ...g.offsetCommit.defaultOffsetCommitRequestTopic(), name: topic, partitions: [{ ...g.offsetCommit.defaultOffsetCommitRequestPartition(), committedOffset: 1n }] }] }],
    [9, 7, { ...g.offsetFetch.defaultOffsetFetchRequest(), groupId: group, topics: [{ ...g.offsetFetch.defaultOffsetFetchRequestTopic(), name: topic, partitionIndexes: [0] }] }],
    [10, 3, { ...g.findCoordinator.defaultFindCoordinatorRequest(), key: group }],
    [11, 5, { ...g.joinGroup.defaultJoinGroupRequest(), groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ ...g.joinGroup.defaultJoinGroupRequestProtocol(), name: 'range', metadata: Buffer.from('0000000000010000000000000000', 'hex') }] }],
    [14, 3, { ...g.syncGroup.defaultSyncGroupRequest(), groupId: group, generationId: 1, memberId: 'm', assignments: [{ ...g.syncGroup.defaultSyncGroupRequestAssignment(), memberId: 'm', assignment: Buffer.alloc(12) }] }],
    [12, 3, { ...g.heartbeat.defaultHeartbeatRequest(), groupId: group, generationId: 1, memberId: 'm' }],
    [13, 3, { ...g.leaveGroup.defaultLeaveGroupRequest(), groupId: group, members: [{ ...g.leaveGroup.defaultMemberIdentity(), memberId: 'm' }] }],
    [15, 5, { ...g.describeGroups.defaultDescribeGroupsRequest(), groups: [group] }],
    [16, 4, g.listGroups.defaultListGroupsRequest()],
    [32, 4, { ...g.describeConfigs.defaultDescribeConfigsRequest(), resources: [{ ...g.describeConfigs.defaultDescribeConfigsResource(), resourceType: 2, resourceName: topic, configurationKeys: null }] }],
    [60, 0, g.describeCluster.defaultDescribeClusterRequest()],
  ];
  const raft: RaftMessage[] = [2, 99].flatMap((id) => [
    { type: 'Vote', correlationId: 1, candidateEpoch: 5, candidateId: id, voterId: 1, lastOffsetEpoch: 1, lastOffset: 3 },
    { type: 'BeginQuorumEpoch', correlationId: 1, voterId: 1, leaderId: id, leaderEpoch: 5 },
    { type: 'EndQuorumEpoch', correlationId: 1, leaderId: id, leaderEpoch: 5, preferredSuccessors: [id] },
    { type: 'Fetch', correlationId: 1, replicaId: id, currentLeaderEpoch: 1, fetchOffset: 0, lastFetchedEpoch: 0, maxWaitMs: 50, maxBytes: 100_000 },
    { type: 'FetchSnapshot', correlationId: 1, replicaId: id, currentLeaderEpoch: 1, snapshotId: { endOffset: 3, epoch: 1 }, position: 0, maxBytes: 100_000 },
  ] satisfies RaftMessage[]);
  const clientCount = bodies.length;
  for (const message of raft) {
    const wire = toWire(message, '');
    bodies.push([wire.apiKey, wire.apiVersion, wire.body]);
  }
  return bodies.map(([apiKey, version, body], i) => ({ frame: encodeRequest(apiKey, version, i + 1, 'kb-mutation-test', body), peer: i >= clientCount }));
}

/** `frame` with one seeded corruption after its api key and version: flipped bits, a cut, or an extreme int16/int32/byte. */
function mutate(frame: Buffer, random: () => number): Buffer {
  const body = Buffer.from(frame.subarray(4));
  const at = (room: number) => 8 + Math.floor(random() * Math.max(1, body.length - 8 - room));
  const extremes = [0, 1, -1, 0x7fff, -0x8000, 0x7fffffff, -0x80000000];
  const extreme = () => extremes[Math.floor(random() * extremes.length)];
  let out = body;
  switch (Math.floor(random() * 5)) {
    case 0:
      for (let i = 0; i < 3; i++) body[at(0)] ^= 1 << Math.floor(random() * 8);
      break;
    case 1:
      out = body.subarray(0, at(0));
      break;
    case 2:
      if (body.length >= 16) body.writeInt32BE(extreme(), at(4));
      break;
    case 3:
      if (body.length >= 12) body.writeInt16BE(Math.max(-0x8000, Math.min(0x7fff, extreme())), at(2));
      break;
    default:
      body[at(0)] = [0x00, 0xff, 0x80, 0x7f][Math.floor(random() * 4)];
  }
  return Buffer.concat([int32(out.length), out]);
}

test('a thousand seeded corruptions of client and Raft requests: no crash, no internal error, the quorum keeps its epoch', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const topic = await topicWithTwoRecords('mutated');
  const epochBefore = (await quorum()).leaderEpoch;
  let seed = 20261124;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const frames = requestsToMutate(topic);
  for (let round = 0; round < Math.ceil(1000 / frames.length); round++) {
    for (const { frame, peer } of frames) {
      const connection = await (peer ? openPeer(2) : open());
      await connection.write(mutate(frame, random)).catch(() => undefined); // the broker may close first
      await connection.nextFrame(300).catch(() => null); // an answer, a close, or (a parked request) nothing yet
      connection.destroy();
    }
  }
  assert.deepEqual(await quorum(), { leaderId: 1, leaderEpoch: epochBefore }, 'same leader, same epoch');
  await assertServing('a thousand corrupted requests');
  assert.doesNotMatch(broker.log(), /internal error/, 'every corruption was answered or refused as malformed, none was an internal error');
});

test('a client id with line breaks cannot write lines of its own into the broker log', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const connection = await open();
  t.after(() => connection.destroy());
  const forged = '2026-01-01T00:00:00.000Z INFO forged by a client';
  const whole = encodeRequest(3, 1, 8, `evil\n${forged}\r\u0000`, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const payload = whole.subarray(4, whole.length - 2); // the topics count cut short: a malformed request, logged with its client id
  await connection.write(Buffer.concat([int32(payload.length), payload]));
  assert.equal(await connection.waitClosed(5000), true, 'the broker closes the connection of a malformed request');
  const log = broker.log();
  assert.doesNotMatch(log, /^2026-01-01T00:00:00\.000Z INFO forged/m, `no line written by the client:\n${log}`);
  assert.match(log, /malformed 3v1 request from evil\\n2026-01-01T00:00:00\.000Z INFO forged by a client\\r\\u0000: /, 'the client id is logged with its control characters escaped');
  await assertServing('a client id with line breaks');
});

test('all that bad input left no stack trace and no ERROR in the broker log', () => {
  const log = broker.log();
  // A stack frame on a line of its own, or escaped (\n) inside a one-line event.
  assert.doesNotMatch(log, /(^\s+|\\n\s+)at \S.*:\d+:\d+\)?/m, `no stack trace in the broker log:\n${log}`);
  assert.doesNotMatch(log, / ERROR /, `no ERROR lines in the broker log:\n${log}`);
  assert.match(log, /frame length 2147483647/, 'the oversized frame is logged with its length');
});
