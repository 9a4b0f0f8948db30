import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PartitionRecord } from '../../src/metadata/records.ts';
import { cancelReassignment, completeReassignment, isReassigning, startReassignment, targetProblem } from '../../src/controller/reassignment.ts';

const partition = (replicas: number[], isr: number[], leader: number, extra: Partial<PartitionRecord> = {}): PartitionRecord => ({
  type: 'partition', topicId: 'ab'.repeat(16), partition: 0, replicas, isr, leader, leaderEpoch: 5, partitionEpoch: 9, ...extra,
});
const everyone = { canLead: () => true, unclean: false };

test('start: replicas become target then the removed ones; adding and removing are the differences', () => {
  const started = startReassignment(partition([1, 2, 3], [1, 2, 3], 1), [2, 3, 4], everyone)!;
  assert.deepEqual([started.replicas, started.addingReplicas, started.removingReplicas, started.isr], [[2, 3, 4, 1], [4], [1], [1, 2, 3]]);
  assert.deepEqual([started.leader, started.leaderEpoch, started.partitionEpoch], [1, 5, 10], 'the leader stays until completion');
  assert.ok(isReassigning(started));
});

test('complete waits for every target replica in the ISR, then moves the leader off a removed replica', () => {
  const started = startReassignment(partition([1, 2, 3], [1, 2, 3], 1), [2, 3, 4], everyone)!;
  assert.equal(completeReassignment(started, everyone), null, 'broker 4 is not in sync yet');
  const done = completeReassignment({ ...started, isr: [1, 2, 3, 4], partitionEpoch: 11 }, everyone)!;
  assert.deepEqual([done.replicas, done.isr, done.leader, done.leaderEpoch, done.partitionEpoch], [[2, 3, 4], [2, 3, 4], 2, 6, 12]);
  assert.equal('addingReplicas' in done || 'removingReplicas' in done, false, 'the reassignment fields are gone, not undefined');
  const noTwo = completeReassignment({ ...started, isr: [1, 2, 3, 4] }, { canLead: (id) => id !== 2, unclean: false })!;
  assert.equal(noTwo.leader, 3, 'the first target replica that may lead');
});

test('a target already in sync completes at once; a reorder only reorders; the same list changes nothing', () => {
  const shrink = startReassignment(partition([1, 2, 3], [1, 2, 3], 3), [1, 2], everyone)!;
  assert.deepEqual([shrink.replicas, shrink.isr, shrink.leader, isReassigning(shrink)], [[1, 2], [1, 2], 1, false]);
  const reorder = startReassignment(partition([1, 2, 3], [1, 2, 3], 1), [3, 2, 1], everyone)!;
  assert.deepEqual([reorder.replicas, reorder.leader, isReassigning(reorder)], [[3, 2, 1], 1, false]);
  assert.equal(startReassignment(partition([1, 2, 3], [1, 2, 3], 1), [1, 2, 3], everyone), null);
});

test('cancel returns to the original replicas and gives leadership back from an adding replica', () => {
  const started = startReassignment(partition([1, 2, 3], [1, 2, 3], 1), [4, 5, 6], everyone)!;
  const ledByNew = { ...started, isr: [4, 1, 2, 3], leader: 4, leaderEpoch: 6 };
  const cancelled = cancelReassignment(ledByNew, everyone) as PartitionRecord;
  assert.deepEqual([cancelled.replicas, cancelled.isr, cancelled.leader, cancelled.leaderEpoch, isReassigning(cancelled)], [[1, 2, 3], [1, 2, 3], 1, 7, false]);
  assert.equal(cancelReassignment(partition([1, 2, 3], [1, 2, 3], 1), everyone), null, 'nothing to cancel');
  assert.match(cancelReassignment({ ...started, isr: [4] }, everyone) as string, /no original replica/);
});

test('target validation: empty, repeated, unusable brokers', () => {
  const problem = (id: number) => (id === 9 ? 'broker 9 is not registered' : null);
  assert.match(targetProblem([], problem)!, /empty/);
  assert.match(targetProblem([1, 1], problem)!, /repeat/);
  assert.equal(targetProblem([1, 9], problem), 'broker 9 is not registered');
  assert.equal(targetProblem([1, 2], problem), null);
});
