/**
 * The group coordinator inside a real in-process Broker (storage, controller
 * and replicas on a temporary data dir) with group time on a fake clock:
 * commits survive restarts with their metadata and leader epoch, also once
 * __consumer_offsets is compacted; deleted
 * groups and expired offsets stay gone after a restart, offsets of empty
 * groups expire after offsets.retention.minutes, offsets of deleted topics
 * go, and OffsetDelete spares
 * topics a live consumer group subscribes to.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Broker } from '../../../src/broker/broker.ts';
import { BrokerConfig } from '../../../src/broker/config.ts';
import { silentLogger, type Logger } from '../../../src/logger.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { Writer } from '../../../src/protocol/primitives.ts';
import { encodeConsumerProtocolSubscription } from '../../../src/protocol/generated/consumer-protocol-subscription.ts';
import type { OffsetCommitEntry } from '../../../src/broker/group/coordinator.ts';
import { partitionForGroup } from '../../../src/broker/group/offset-store.ts';
import { FakeClock } from './fake-clock.ts';
import { joinRequest, syncRequest } from './helpers.ts';

const retentionMinutes = 60;
const retentionMs = retentionMinutes * 60_000;
const checkIntervalMs = 60_000;

interface Node {
  broker: Broker;
  clock: FakeClock;
  dataDir: string;
}

interface RestartableNode extends Node {
  /** Stops the broker and starts a new one on the same data dir and clock. */
  restart(): Promise<Node>;
}

interface NodeOptions {
  /** More broker settings. */
  config?: [string, string][];
  logger?: Logger;
}

async function startNode(dataDir: string, clock = new FakeClock(), options: NodeOptions = {}): Promise<Node> {
  const config = new BrokerConfig([
    ['group.initial.rebalance.delay.ms', '0'],
    ['offsets.topic.num.partitions', '3'],
    ['offsets.retention.minutes', String(retentionMinutes)],
    ['offsets.retention.check.interval.ms', String(checkIntervalMs)],
    ...(options.config ?? []),
  ]);
  const broker = new Broker({ config, listen: { host: '127.0.0.1', port: 0 }, dataDir, logger: options.logger ?? silentLogger, groupClock: clock });
  await broker.start();
  return { broker, clock, dataDir };
}

/** A started broker with topics t and u (2 partitions each) and __consumer_offsets; stopped after the test. */
async function setup(t: TestContext, options: NodeOptions = {}): Promise<RestartableNode> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'kb-coordinator-'));
  let node = await startNode(dataDir, new FakeClock(), options);
  t.after(async () => {
    await node.broker.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });
  const created = await node.broker.controller.createTopics(
    ['t', 'u'].map((name) => ({ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] })),
    false,
  );
  assert.deepEqual(created.map((c) => c.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);
  await node.broker.replicas.topicReady('t');
  await node.broker.replicas.topicReady('u');
  assert.equal((await node.broker.groups.findCoordinator('g')).errorCode, ErrorCode.NONE);
  const restart = async () => {
    await node.broker.stop();
    node = await startNode(dataDir, node.clock, options);
    return node;
  };
  return { ...node, restart };
}

/** Polls `check` (real time) until it holds. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function entry(topic: string, partition: number, offset: bigint, extra: Partial<OffsetCommitEntry> = {}): OffsetCommitEntry {
  return { topic, partition, offset, leaderEpoch: -1, metadata: null, commitTimestampMs: -1, ...extra };
}

async function simpleCommit(broker: Broker, groupId: string, offsets: OffsetCommitEntry[]): Promise<number[]> {
  return broker.groups.commitOffsets({ groupId, memberId: '', generationId: -1, groupInstanceId: null, retentionMs: null, offsets });
}

async function committed(broker: Broker, groupId: string): Promise<[string, number, bigint][]> {
  const fetched = await broker.groups.fetchOffsets(groupId, null);
  assert.equal(fetched.errorCode, ErrorCode.NONE);
  return fetched.offsets.map((o) => [o.topic, o.partition, o.committed!.offset]);
}

async function stateOf(broker: Broker, groupId: string): Promise<string> {
  return (await broker.groups.describe([groupId]))[0].groupState;
}

function subscription(topics: string[]): Buffer {
  const w = new Writer();
  w.int16(0);
  encodeConsumerProtocolSubscription(w, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 0);
  return Buffer.from(w.finish());
}

/** One consumer member joined, synced and Stable in group `groupId`, subscribed to `topics`. */
async function stableMember(node: Node, groupId: string, topics: string[]) {
  const pending = node.broker.groups.join(joinRequest({ groupId, sessionTimeoutMs: 1_800_000, protocols: [{ name: 'range', metadata: subscription(topics) }] }));
  node.clock.advance(0);
  const joined = await pending;
  assert.equal(joined.errorCode, ErrorCode.NONE);
  const synced = await node.broker.groups.sync(syncRequest(joined, { groupId, assignments: [{ memberId: joined.memberId, assignment: Buffer.from('a') }] }));
  assert.equal(synced.errorCode, ErrorCode.NONE);
  return joined;
}

test('commits survive a restart with their metadata and leader epoch; the group comes back Empty', async (t) => {
  const node = await setup(t);
  const errors = await simpleCommit(node.broker, 'g', [
    entry('t', 0, 42n, { leaderEpoch: 7, metadata: 'where I was' }),
    entry('t', 1, 5n),
    entry('u', 1, 9n),
  ]);
  assert.deepEqual(errors, [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.NONE]);
  await simpleCommit(node.broker, 'g', [entry('t', 1, 6n)]);

  const again = await node.restart();
  assert.deepEqual(await committed(again.broker, 'g'), [
    ['t', 0, 42n],
    ['t', 1, 6n],
    ['u', 1, 9n],
  ]);
  const [first] = (await again.broker.groups.fetchOffsets('g', [{ topic: 't', partition: 0 }])).offsets;
  assert.equal(first.committed!.leaderEpoch, 7);
  assert.equal(first.committed!.metadata, 'where I was');
  assert.equal(await stateOf(again.broker, 'g'), 'Empty');
  assert.deepEqual((await again.broker.groups.list([])).groups.map((g) => g.groupId), ['g']);
});

test('after compaction of __consumer_offsets the latest commits and deletions replay as they were', async (t) => {
  const node = await setup(t);
  const topicName = '__consumer_offsets';
  const partition = node.broker.replicas.leaderPartition(topicName, partitionForGroup('g', 3));
  assert.ok(!('errorCode' in partition));
  // Segments far below the smallest segment.bytes a client may set (1 MiB), straight in the log, so a few commits make several.
  partition.log.updateConfig({ ...partition.log.config, segmentBytes: 2048, deleteRetentionMs: 0 });
  for (let i = 0; i < 100; i++) await simpleCommit(node.broker, 'g', [entry('t', 0, BigInt(i)), entry('t', 1, BigInt(1000 + i))]);
  // 'j' lives in the same partition as 'g' ("j".hashCode() % 3 = "g".hashCode() % 3 = 1): its tombstones are compacted too.
  assert.equal(partitionForGroup('j', 3), partitionForGroup('g', 3));
  await simpleCommit(node.broker, 'j', [entry('t', 0, 5n)]);
  assert.deepEqual((await node.broker.groups.deleteGroups(['j']))[0].errorCode, ErrorCode.NONE);
  const cleaned = await partition.log.compact();
  assert.ok(cleaned !== null && cleaned.recordsRemoved > 150, `compaction removed superseded commits: ${JSON.stringify(cleaned)}`);

  const again = await node.restart();
  assert.deepEqual(await committed(again.broker, 'g'), [
    ['t', 0, 99n],
    ['t', 1, 1099n],
  ]);
  assert.deepEqual(await committed(again.broker, 'j'), []);
  assert.equal(await stateOf(again.broker, 'j'), 'Dead');
});

test('a deleted group and its offsets stay deleted after a restart; a group with members cannot be deleted', async (t) => {
  const node = await setup(t);
  await simpleCommit(node.broker, 'gone', [entry('t', 0, 1n)]);
  await simpleCommit(node.broker, 'kept', [entry('t', 0, 2n)]);
  await stableMember(node, 'busy', ['t']);
  const results = await node.broker.groups.deleteGroups(['gone', 'busy', 'never-was']);
  assert.deepEqual(results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND]);

  const again = await node.restart();
  assert.deepEqual(await committed(again.broker, 'gone'), []);
  assert.equal(await stateOf(again.broker, 'gone'), 'Dead');
  assert.deepEqual(await committed(again.broker, 'kept'), [['t', 0, 2n]]);
  assert.deepEqual((await again.broker.groups.list([])).groups.map((g) => g.groupId).sort(), ['busy', 'kept']);
});

test('offsets of a member-less group expire offsets.retention.minutes after the commit, then the group goes for good', async (t) => {
  const node = await setup(t);
  await simpleCommit(node.broker, 'idle', [entry('t', 0, 1n)]);
  await simpleCommit(node.broker, 'fresh', [entry('t', 0, 1n)]);
  node.clock.advance(retentionMs - 1);
  await simpleCommit(node.broker, 'fresh', [entry('t', 1, 1n)]);
  await node.broker.groups.expireOffsets();
  assert.deepEqual(await committed(node.broker, 'idle'), [['t', 0, 1n]], 'not expired a millisecond early');

  node.clock.advance(1);
  await node.broker.groups.expireOffsets();
  assert.deepEqual(await committed(node.broker, 'idle'), []);
  assert.equal(await stateOf(node.broker, 'idle'), 'Dead', 'an empty group without offsets is deleted');
  assert.deepEqual(await committed(node.broker, 'fresh'), [['t', 1, 1n]], 'each offset expires on its own');

  const again = await node.restart();
  assert.deepEqual(await committed(again.broker, 'idle'), []);
  assert.equal(await stateOf(again.broker, 'idle'), 'Dead');
});

test('at group.max.groups, Empty groups whose offsets expired are evicted first; until one can be, new groups are refused and the log says why', async (t) => {
  const lines: string[] = [];
  const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  const node = await setup(t, { config: [['group.max.groups', '3']], logger });
  await simpleCommit(node.broker, 'idle', [entry('t', 0, 1n)]);
  await simpleCommit(node.broker, 'renewed', [entry('t', 0, 2n)]);
  const busy = await stableMember(node, 'busy', ['t']);
  const stayAlive = async () => {
    const beat = await node.broker.groups.heartbeat({ groupId: 'busy', generationId: busy.generationId, memberId: busy.memberId, groupInstanceId: null });
    assert.equal(beat.errorCode, ErrorCode.NONE);
  };

  // Full, nothing expired: refused, and the log says until when.
  assert.deepEqual(await simpleCommit(node.broker, 'newcomer', [entry('t', 0, 3n)]), [ErrorCode.COORDINATOR_NOT_AVAILABLE]);
  const joined = await node.broker.groups.join(joinRequest({ groupId: 'joiner', protocols: [{ name: 'range', metadata: subscription(['t']) }] }));
  assert.equal(joined.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const refusals = lines.filter((l) => /holds 3 groups \(group\.max\.groups\): new groups get COORDINATOR_NOT_AVAILABLE; none can be evicted before \S+, when the offsets of an Empty group expire \(offsets\.retention\.minutes\)/.test(l));
  assert.equal(refusals.length, 1, `one line until the first expiry, not one per refusal: ${lines.join('\n')}`);

  // The busy group's member heartbeats (its session is shorter than the retention).
  for (let quarter = 0; quarter < 3; quarter++) {
    node.clock.advance(retentionMs / 4);
    await stayAlive();
  }
  node.clock.advance(retentionMs / 4 - 1);
  await stayAlive();
  await simpleCommit(node.broker, 'renewed', [entry('t', 0, 4n)]);
  node.clock.advance(1);
  // 'idle' has expired: it goes, the newcomer comes in; the renewed and the busy group stay.
  assert.deepEqual(await simpleCommit(node.broker, 'newcomer', [entry('t', 0, 3n)]), [ErrorCode.NONE]);
  assert.ok(lines.some((l) => /holds 3 groups \(group\.max\.groups\): evicted 1 Empty group\(s\) whose offsets expired/.test(l)), lines.join('\n'));
  assert.equal(await stateOf(node.broker, 'idle'), 'Dead');
  assert.deepEqual(await committed(node.broker, 'renewed'), [['t', 0, 4n]]);
  assert.equal(await stateOf(node.broker, 'busy'), 'Stable');

  const again = await node.restart();
  assert.deepEqual(await committed(again.broker, 'idle'), [], 'the eviction was written');
  assert.deepEqual(await committed(again.broker, 'newcomer'), [['t', 0, 3n]]);
});

test('offsets of a group that had members expire counting from when it emptied, on the periodic check', async (t) => {
  const node = await setup(t);
  const member = await stableMember(node, 'was-busy', ['t']);
  const ok = await node.broker.groups.commitOffsets({
    groupId: 'was-busy',
    memberId: member.memberId,
    generationId: member.generationId,
    groupInstanceId: null,
    retentionMs: null,
    offsets: [entry('t', 0, 3n)],
  });
  assert.deepEqual(ok, [ErrorCode.NONE]);
  node.clock.advance(retentionMs / 3);
  const heartbeat = await node.broker.groups.heartbeat({ groupId: 'was-busy', memberId: member.memberId, generationId: member.generationId, groupInstanceId: null });
  assert.equal(heartbeat.errorCode, ErrorCode.NONE);
  const left = await node.broker.groups.leave({ groupId: 'was-busy', members: [{ memberId: member.memberId, groupInstanceId: null }] });
  assert.deepEqual(left.members.map((m) => m.errorCode), [ErrorCode.NONE]);
  assert.equal(await stateOf(node.broker, 'was-busy'), 'Empty');

  node.clock.advance(retentionMs - 1);
  await node.broker.groups.expireOffsets();
  assert.deepEqual(await committed(node.broker, 'was-busy'), [['t', 0, 3n]], 'kept: the commit is old, but the group emptied less than the retention ago');

  node.clock.advance(checkIntervalMs);
  await eventually(async () => (await stateOf(node.broker, 'was-busy')) === 'Dead', 'the periodic check to expire the offsets and delete the group');
  assert.deepEqual(await committed(node.broker, 'was-busy'), []);
});

test("offsets of a deleted topic are removed by the periodic pass, whatever the group's state", async (t) => {
  const node = await setup(t);
  await simpleCommit(node.broker, 'reader', [entry('t', 0, 1n), entry('u', 0, 2n), entry('u', 1, 3n)]);
  await stableMember(node, 'reader', ['t', 'u']);
  const [deleted] = await node.broker.controller.deleteTopics(['u']);
  assert.equal(deleted.errorCode, ErrorCode.NONE);
  await node.broker.groups.expireOffsets();
  assert.deepEqual(await committed(node.broker, 'reader'), [['t', 0, 1n]]);
  assert.equal(await stateOf(node.broker, 'reader'), 'Stable');
});

test('OffsetDelete removes offsets of topics a Stable consumer group does not subscribe to, any of an Empty group', async (t) => {
  const node = await setup(t);
  await simpleCommit(node.broker, 'reader', [entry('t', 0, 1n), entry('u', 0, 1n), entry('u', 1, 1n)]);
  await stableMember(node, 'reader', ['t']);
  const deleted = await node.broker.groups.deleteOffsets('reader', [
    { topic: 't', partition: 0 },
    { topic: 'u', partition: 0 },
    { topic: 'nope', partition: 0 },
  ]);
  assert.equal(deleted.errorCode, ErrorCode.NONE);
  assert.deepEqual(deleted.errors, [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.deepEqual(await committed(node.broker, 'reader'), [
    ['t', 0, 1n],
    ['u', 1, 1n],
  ]);
  assert.equal((await node.broker.groups.deleteOffsets('stranger', [{ topic: 't', partition: 0 }])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

  await simpleCommit(node.broker, 'empty', [entry('t', 0, 1n)]);
  assert.deepEqual((await node.broker.groups.deleteOffsets('empty', [{ topic: 't', partition: 0 }])).errors, [ErrorCode.NONE]);
  const again = await node.restart();
  assert.deepEqual(await committed(again.broker, 'empty'), []);
  assert.deepEqual(await committed(again.broker, 'reader'), [
    ['t', 0, 1n],
    ['u', 1, 1n],
  ]);
});

test("group ids and metadata longer than Kafka's records hold are refused; a group state that cannot be encoded is logged, not written", async (t) => {
  const lines: string[] = [];
  const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  const node = await setup(t, { config: [['offset.metadata.max.bytes', '100000']], logger });
  const tooLong = 'x'.repeat(32_768);
  assert.deepEqual(await simpleCommit(node.broker, tooLong, [entry('t', 0, 1n)]), [ErrorCode.INVALID_GROUP_ID]);
  assert.equal((await node.broker.groups.join(joinRequest({ groupId: tooLong }))).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.deepEqual(await simpleCommit(node.broker, 'g', [entry('t', 0, 1n, { metadata: tooLong })]), [ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  assert.deepEqual(await simpleCommit(node.broker, 'g', [entry('t', 0, 1n, { metadata: 'x'.repeat(32_767) })]), [ErrorCode.NONE]);

  // A static member whose instance id no record can hold: the group works, its state is not written.
  const pending = node.broker.groups.join(joinRequest({ groupId: 'static', groupInstanceId: tooLong }));
  node.clock.advance(0);
  const joined = await pending;
  assert.equal(joined.errorCode, ErrorCode.NONE);
  const synced = await node.broker.groups.sync(syncRequest(joined, { groupId: 'static', groupInstanceId: tooLong, assignments: [] }));
  assert.equal(synced.errorCode, ErrorCode.NONE);
  assert.ok(lines.some((line) => line.startsWith('cannot write the state of group static: ')), lines.join('\n'));
  assert.deepEqual(await simpleCommit(node.broker, 'g', [entry('t', 0, 2n)]), [ErrorCode.NONE], 'the coordinator still serves');
});
