/**
 * The group coordinator loads a __consumer_offsets partition up to its log
 * end, not its high watermark: a leader's high watermark can lag the commits
 * already in its log (a restarted leader's comes from a checkpoint, a new
 * leader's from its last fetch as a follower), and loading only to it
 * answers "no committed offset" for commits that were acknowledged.
 * And it loads a partition when it becomes its leader, before any request
 * for its groups, and gives it up as soon as it stops leading it.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { GroupCoordinator, consumerOffsetsTopic } from '../../../src/broker/group/coordinator.ts';
import { offsetRecord } from '../../../src/broker/group/offset-records.ts';
import { BrokerConfig } from '../../../src/broker/config.ts';
import { silentLogger } from '../../../src/logger.ts';
import type { ReplicaManager } from '../../../src/broker/replica/replica-manager.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import type { PartitionRecord } from '../../../src/metadata/records.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { readBatchHeader } from '../../../src/protocol/records/batch-header.ts';
import { encodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { openReplica, partitionRecord } from '../replica/helpers.ts';
import { FakeClock } from './fake-clock.ts';

const topicId = '0123456789abcdef0123456789abcdef';

/** Node 1's coordinator over the only __consumer_offsets partition, in `state`; the replica manager answers `leaderPartition` for it. */
function coordinatorOf(t: TestContext, state: PartitionRecord, leaderPartition: () => unknown): { coordinator: GroupCoordinator; image: MetadataImage } {
  const image = new MetadataImage();
  image.apply({ type: 'topic', name: consumerOffsetsTopic, topicId });
  image.apply(state);
  const coordinator = new GroupCoordinator({
    nodeId: 1,
    config: new BrokerConfig([]),
    image,
    createTopics: () => Promise.reject(new Error('no controller here')),
    replicas: { leaderPartition } as unknown as ReplicaManager,
    liveBrokers: () => [],
    logger: silentLogger,
    clock: new FakeClock(),
  });
  t.after(() => coordinator.stop());
  return { coordinator, image };
}

test('a coordinator whose high watermark lags its log end loads every commit in the log', async (t) => {
  // Leader of the only __consumer_offsets partition with a follower that has not fetched yet: the high watermark stays at 0.
  const state = partitionRecord({ topicId, replicas: [1, 2], isr: [1, 2], leader: 1 });
  const { partition } = await openReplica(t, 1, state);
  const committed = { leaderEpoch: -1, metadata: '', commitTimestampMs: 0, expireTimestampMs: null };
  for (const offset of [5141n, 5142n]) {
    const batch = encodeRecordBatch({ baseTimestamp: 0n, records: [offsetRecord('g', 'events', 0, { ...committed, offset })] });
    const appended = await partition.appendAsLeader(batch, readBatchHeader(batch), 1);
    assert.equal(appended.errorCode, ErrorCode.NONE);
  }
  assert.equal(partition.highWatermark, 0n);
  assert.equal(partition.log.logEndOffset, 2n);

  const { coordinator } = coordinatorOf(t, state, () => partition);

  const wanted = [{ topic: 'events', partition: 0 }];
  assert.equal((await coordinator.fetchOffsets('g', wanted)).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  let fetched = await coordinator.fetchOffsets('g', wanted);
  // The load reads the log from disk: wait by a deadline, not a count of turns (slow on a loaded machine).
  for (const deadline = performance.now() + 10_000; fetched.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && performance.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    fetched = await coordinator.fetchOffsets('g', wanted);
  }
  assert.equal(fetched.errorCode, ErrorCode.NONE);
  assert.equal(fetched.offsets[0].committed?.offset, 5142n, 'the latest commit in the log, above the high watermark');
});

test('a coordinator loads a partition when it becomes its leader, unasked, and gives it up when it stops leading it', async (t) => {
  const state = partitionRecord({ topicId, replicas: [1], isr: [1], leader: 1 });
  const { partition } = await openReplica(t, 1, state);
  const batch = encodeRecordBatch({ baseTimestamp: 0n, records: [offsetRecord('g', 'events', 0, { offset: 7n, leaderEpoch: -1, metadata: '', commitTimestampMs: 0, expireTimestampMs: null })] });
  assert.equal((await partition.appendAsLeader(batch, readBatchHeader(batch), 1)).errorCode, ErrorCode.NONE);

  let leads = false;
  const notLeader = { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: 'not the leader' };
  const { coordinator, image } = coordinatorOf(t, state, () => (leads ? partition : notLeader));

  // The metadata names it leader, but it may not lead yet (the broker is not serving): nothing loads, ListGroups says so.
  coordinator.leadershipChanged();
  assert.equal((await coordinator.list([])).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  leads = true;
  coordinator.leadershipChanged();
  // ListGroups starts no load: only the leadership change can have.
  let listed = await coordinator.list([]);
  // The load reads the log from disk: on a loaded machine that takes a while, so wait by a deadline, not a count of turns.
  for (const deadline = performance.now() + 10_000; listed.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && performance.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    listed = await coordinator.list([]);
  }
  assert.equal(listed.errorCode, ErrorCode.NONE);
  assert.deepEqual(listed.groups.map((g) => g.groupId), ['g']);
  const fetched = await coordinator.fetchOffsets('g', [{ topic: 'events', partition: 0 }]);
  assert.equal(fetched.errorCode, ErrorCode.NONE, 'the first request is served');
  assert.equal(fetched.offsets[0].committed?.offset, 7n);

  // Leadership moves away: the group is given up at once.
  leads = false;
  image.apply({ ...state, leader: 2, leaderEpoch: state.leaderEpoch + 1 });
  coordinator.leadershipChanged();
  assert.deepEqual(await coordinator.list([]), { errorCode: ErrorCode.NONE, groups: [] });
  assert.equal((await coordinator.fetchOffsets('g', null)).errorCode, ErrorCode.NOT_COORDINATOR);
});
