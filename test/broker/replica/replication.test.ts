/**
 * Leader and follower replicas of one partition on real logs, replicating
 * in-process (the follower reads what the leader serves a follower fetch
 * and appends it as the fetcher does): the high watermark waits for the
 * ISR and never moves down, acks=all answers once the ISR has the batch
 * (or NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND,
 * REQUEST_TIMED_OUT, NOT_LEADER_OR_FOLLOWER), the ISR shrinks after
 * replica.lag.time.max.ms and expands when a follower catches up (through
 * AlterPartition, one at a time), and after a leader change the old
 * leader truncates its diverging tail while idempotent dedup carries over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { recordBatches } from '../../../src/protocol/records/batch-splitter.ts';
import { appendAsLeader, batch, openReplica, partitionRecord, replicate, settle } from './helpers.ts';

const three = partitionRecord({ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 1 });

test('the high watermark is the smallest log end in the ISR and never moves down', async (t) => {
  const { partition: leader } = await openReplica(t, 1, three);
  const { partition: f2 } = await openReplica(t, 2, three);
  const { partition: f3 } = await openReplica(t, 3, three);
  assert.equal(leader.isLeader, true);
  assert.equal(f2.isLeader, false);
  await appendAsLeader(leader, batch(4));
  assert.equal(leader.highWatermark, 0n, 'no follower has it yet');
  await replicate(leader, f2, 2);
  await replicate(leader, f2, 2);
  assert.equal(leader.highWatermark, 0n, 'follower 3 has not fetched in this term');
  assert.equal((await leader.readForConsumer(0n, 1 << 20, true)).records!.length, 0, 'consumers see nothing above the HW');
  await replicate(leader, f3, 3);
  await replicate(leader, f3, 3);
  assert.equal(leader.highWatermark, 4n);
  assert.equal(f2.highWatermark, 0n, 'a follower learns the HW on its next fetch');
  await replicate(leader, f2, 2);
  assert.equal(f2.highWatermark, 4n);
  leader.recordFollowerFetch(2, 1n); // a stale fetch offset cannot move the HW back
  assert.equal(leader.highWatermark, 4n);
});

test('with replicas = [self] the high watermark is the log end after each append', async (t) => {
  const { partition } = await openReplica(t, 1, partitionRecord({}));
  const result = await appendAsLeader(partition, batch(3), -1);
  assert.equal(partition.highWatermark, 3n);
  assert.deepEqual(await partition.waitForReplication(result, 1000), { errorCode: ErrorCode.NONE, errorMessage: null });
});

test('acks=all answers once the ISR has the batch', async (t) => {
  const { partition: leader } = await openReplica(t, 1, three);
  const { partition: f2 } = await openReplica(t, 2, three);
  const { partition: f3 } = await openReplica(t, 3, three);
  const appended = await appendAsLeader(leader, batch(2), -1);
  assert.equal(appended.errorCode, ErrorCode.NONE);
  let answered: number | null = null;
  const waiting = leader.waitForReplication(appended, 5000).then((r) => (answered = r.errorCode));
  await replicate(leader, f2, 2);
  await replicate(leader, f2, 2);
  await settle();
  assert.equal(answered, null, 'follower 3 does not have it yet');
  await replicate(leader, f3, 3);
  await replicate(leader, f3, 3);
  await waiting;
  assert.equal(answered, ErrorCode.NONE);
});

test('acks=all fails with NOT_ENOUGH_REPLICAS before appending when the ISR is below min.insync.replicas', async (t) => {
  const state = partitionRecord({ replicas: [1, 2, 3], isr: [1], leader: 1, leaderEpoch: 1 });
  const { partition, settings } = await openReplica(t, 1, state);
  settings.minInsyncReplicas = 2;
  const refused = await appendAsLeader(partition, batch(1), -1);
  assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(partition.log.logEndOffset, 0n, 'nothing was appended');
  const acksOne = await appendAsLeader(partition, batch(1), 1);
  assert.equal(acksOne.errorCode, ErrorCode.NONE, 'acks=1 does not care');
});

test('acks=all times out with REQUEST_TIMED_OUT, and fails with NOT_LEADER_OR_FOLLOWER when leadership moves', async (t) => {
  const { partition } = await openReplica(t, 1, three);
  const first = await appendAsLeader(partition, batch(1), -1);
  const timedOut = await partition.waitForReplication(first, 30);
  assert.equal(timedOut.errorCode, ErrorCode.REQUEST_TIMED_OUT);
  const second = await appendAsLeader(partition, batch(1), -1);
  const waiting = partition.waitForReplication(second, 5000);
  partition.applyState({ ...three, leader: 2, leaderEpoch: 2, partitionEpoch: 1 });
  assert.equal((await waiting).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(partition.isLeader, false);
  assert.equal((await appendAsLeader(partition, batch(1))).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
});

test('a follower lagging longer than replica.lag.time.max.ms leaves the ISR once the controller commits it', async (t) => {
  const { partition: leader, clock, controller, settings, isrChanges } = await openReplica(t, 1, three, 10_000);
  const { partition: f2 } = await openReplica(t, 2, three);
  settings.minInsyncReplicas = 3;
  const appended = await appendAsLeader(leader, batch(2), -1);
  const waiting = leader.waitForReplication(appended, 60_000);
  await replicate(leader, f2, 2);
  await replicate(leader, f2, 2);
  clock.now += 5_000;
  leader.maybeShrinkIsr();
  assert.equal(controller.requests.length, 0, 'within the lag time');
  clock.now += 6_000;
  await replicate(leader, f2, 2); // follower 2 keeps up; follower 3 never fetched
  controller.hold = true;
  leader.maybeShrinkIsr();
  leader.maybeShrinkIsr();
  assert.equal(controller.requests.length, 1, 'one AlterPartition in flight');
  const sent = controller.requests[0].topics[0].partitions[0];
  assert.deepEqual(sent.newIsr, [1, 2]);
  assert.equal(sent.leaderEpoch, 1);
  assert.equal(sent.partitionEpoch, 0);
  assert.deepEqual(controller.requests[0].topics[0].topicId, Buffer.from(three.topicId, 'hex'));
  assert.equal(leader.highWatermark, 0n, 'until committed, the HW still waits for follower 3');
  assert.deepEqual(isrChanges, [], 'a proposal is no change yet');
  controller.release();
  assert.equal((await waiting).errorCode, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
  assert.deepEqual(leader.state.isr, [1, 2]);
  assert.equal(leader.state.partitionEpoch, 1);
  assert.equal(leader.highWatermark, 2n);
  assert.deepEqual(isrChanges, [{ previous: [1, 2, 3], next: [1, 2] }], 'the shrink is reported once');
  leader.applyState({ ...three, isr: [1, 2], partitionEpoch: 1 });
  assert.equal(isrChanges.length, 1, 'the committed record of the answered change reports nothing more');
});

test('the leader logs once why a follower left the ISR (lagging while fetching) and when it joined again', async (t) => {
  const { partition: leader, clock, logs } = await openReplica(t, 1, partitionRecord({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 1 }), 10_000);
  await appendAsLeader(leader, batch(3));
  leader.recordFollowerFetch(2, 0n);
  clock.now += 6_000;
  leader.recordFollowerFetch(2, 0n); // fetching, but not catching up
  clock.now += 5_000;
  leader.maybeShrinkIsr();
  await settle();
  assert.deepEqual(logs, ['t-0: replica 2 leaves the ISR, now [1]: lagging by 3 offsets for 11000 ms']);
  leader.recordFollowerFetch(2, 3n);
  await settle();
  assert.deepEqual(logs.slice(1), ['t-0: replica 2 joins the ISR, now [1,2]']);
});

test('a follower outside the ISR joins once it reaches the high watermark', async (t) => {
  const state = partitionRecord({ replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 1 });
  const { partition: leader, controller, isrChanges } = await openReplica(t, 1, state);
  const { partition: f2 } = await openReplica(t, 2, state);
  const { partition: f3 } = await openReplica(t, 3, state);
  controller.hold = true;
  await appendAsLeader(leader, batch(3));
  await replicate(leader, f2, 2);
  await replicate(leader, f2, 2);
  assert.equal(leader.highWatermark, 3n);
  await replicate(leader, f3, 3);
  assert.equal(controller.requests.length, 0, 'follower 3 is behind the HW');
  await replicate(leader, f3, 3);
  assert.equal(controller.requests.length, 1);
  assert.deepEqual(controller.requests[0].topics[0].partitions[0].newIsr, [1, 2, 3]);
  assert.deepEqual(leader.maximalIsr(), [1, 2, 3], 'the HW counts a proposed member at once');
  // The committed record arrives before the answer: applied, and the answer changes nothing more.
  leader.applyState({ ...state, isr: [1, 2, 3], partitionEpoch: 1 });
  controller.release();
  await settle();
  assert.deepEqual(leader.state.isr, [1, 2, 3]);
  assert.equal(leader.state.partitionEpoch, 1);
  assert.deepEqual(isrChanges, [{ previous: [1, 2], next: [1, 2, 3] }], 'the expansion is reported once');
});

test('after a leader change the old leader truncates its diverging tail and idempotent dedup carries over', async (t) => {
  const epoch1 = partitionRecord({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 1 });
  const { partition: a } = await openReplica(t, 1, epoch1);
  const { partition: b } = await openReplica(t, 2, epoch1);
  const producerId = 9n;
  const first = batch(2, { producerId, baseSequence: 0 });
  await appendAsLeader(a, first);
  await appendAsLeader(a, batch(2, { producerId, baseSequence: 2 }));
  await replicate(a, b, 2);
  await replicate(a, b, 2);
  assert.equal(a.highWatermark, 4n);
  await appendAsLeader(a, batch(3)); // offsets 4-6, never replicated: dies with the leader
  assert.equal(a.log.logEndOffset, 7n);

  const epoch2 = { ...epoch1, isr: [2], leader: 2, leaderEpoch: 2, partitionEpoch: 1 };
  b.applyState(epoch2);
  a.applyState(epoch2);
  const retry = await appendAsLeader(b, Buffer.from(first));
  assert.equal(retry.errorCode, ErrorCode.NONE);
  assert.equal(retry.baseOffset, 0n, 'the retry is a duplicate at the new leader');
  await appendAsLeader(b, batch(1)); // offset 4 in epoch 2
  assert.equal(b.log.endOffsetForEpoch(1).endOffset, 4n);

  assert.equal(await replicate(b, a, 1), 'diverged');
  assert.equal(a.log.logEndOffset, 4n, 'truncated to where epoch 1 ends at the new leader');
  assert.equal(a.highWatermark, 4n, 'committed data stays');
  assert.equal(await replicate(b, a, 1), 'fetched');
  assert.equal(a.log.logEndOffset, 5n);
  assert.equal(a.log.latestEpoch, 2);
  const batches = [...recordBatches(await a.log.read(0n, 1 << 20))].map((s) => s.bytes.readInt32BE(12));
  assert.deepEqual(batches, [1, 1, 2], 'leader epochs of the batches');
});

test('the leader epoch of a fetch or lookup is checked against the current one', async (t) => {
  const { partition } = await openReplica(t, 1, three);
  assert.equal(partition.checkLeaderEpoch(-1), ErrorCode.NONE);
  assert.equal(partition.checkLeaderEpoch(1), ErrorCode.NONE);
  assert.equal(partition.checkLeaderEpoch(0), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(partition.checkLeaderEpoch(2), ErrorCode.UNKNOWN_LEADER_EPOCH);
  assert.equal(partition.hasFollower(2), true);
  assert.equal(partition.hasFollower(4), false);
  assert.equal(partition.hasFollower(1), false, 'the leader is not its own follower');
});

test('a follower append that fails returns only after the batches beside it are written (the fetcher then reuses their memory)', async (t) => {
  const { partition: leader } = await openReplica(t, 1, three);
  const { partition: follower } = await openReplica(t, 2, three);
  await appendAsLeader(leader, batch(4));
  const fetched = (await leader.readForFollower(0n, 1 << 20, true)).records!;
  await assert.rejects(follower.appendAsFollower([fetched, Buffer.from('not a batch')]), /cannot append/);
  assert.equal(follower.log.logEndOffset, 4n, 'the valid batch was written before the call failed');
});
