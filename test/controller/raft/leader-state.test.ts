import assert from 'node:assert/strict';
import { test } from 'node:test';
import { observersMax } from '../../../src/limits.ts';
import { LeaderState } from '../../../src/controller/raft/leader-state.ts';

test('the commit candidate is what a majority of voters hold, the leader counting only what it persisted', () => {
  const state = new LeaderState(1, [1, 2, 3, 4, 5], 3, 0);
  state.outputTaken(1, 10);
  assert.equal(state.commitCandidate(), -1);
  state.recordFetch(2, 8, 10, 1);
  state.recordFetch(3, 6, 10, 1);
  assert.equal(state.commitCandidate(), -1, 'the leader\'s own entries are not durable yet');
  assert.equal(state.persisted(1), true);
  assert.equal(state.commitCandidate(), 6);
  state.recordFetch(4, 9, 10, 2);
  assert.equal(state.commitCandidate(), 8);
  // A fetch that arrives late with an older offset does not move a replica back.
  state.recordFetch(4, 2, 10, 3);
  assert.equal(state.commitCandidate(), 8);
  assert.deepEqual(state.preferredSuccessors(), [4, 2, 3, 5]);
});

test('observers never count, and the leader forgets the longest silent one when full', () => {
  const state = new LeaderState(1, [1, 2, 3], 1, 0);
  state.outputTaken(1, 5);
  state.persisted(1);
  for (let id = 100; id < 100 + observersMax; id++) state.recordFetch(id, 5, 5, id);
  assert.equal(state.commitCandidate(), -1);
  state.recordFetch(99, 5, 5, 5_000);
  const { observers } = state.describe(5, 5_000);
  assert.equal(observers.length, observersMax);
  assert.ok(!observers.some((o) => o.replicaId === 100), 'the silentest observer went');
  assert.ok(observers.some((o) => o.replicaId === 99));
});

test('check-quorum counts the most recent contact of a majority; a lone voter never resigns', () => {
  const state = new LeaderState(1, [1, 2, 3], 1, 100);
  assert.equal(state.majorityContactMs(), 100);
  state.recordContact(3, 500);
  assert.equal(state.majorityContactMs(), 500);
  state.recordFetch(2, 0, 0, 700);
  assert.equal(state.majorityContactMs(), 700);
  assert.equal(new LeaderState(1, [1], 1, 0).majorityContactMs(), Infinity);
});

test('caught-up time is when a replica last reached the leader\'s end', () => {
  const state = new LeaderState(1, [1, 2, 3], 1, 0);
  state.recordFetch(2, 4, 4, 10);
  state.recordFetch(2, 4, 9, 20);
  state.recordFetch(2, 9, 12, 30);
  const voter = state.describe(12, 40).voters.find((v) => v.replicaId === 2);
  // At 30 it reached where the leader ended at its fetch at 20: it was caught up as of 20.
  assert.deepEqual(voter, { replicaId: 2, logEndOffset: 9, lastFetchTimestamp: 30, lastCaughtUpTimestamp: 20 });
});
