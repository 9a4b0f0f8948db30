/** What judge.ts expects of a scenario beyond the checker's verdict: the none nemesis sees no election. From fabricated histories; no I/O. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from './checker.ts';
import type { Leadership } from './history.ts';
import { unmetExpectation } from './judge.ts';

/** chaos-0 led by node 1 in `epoch`, node 2 leading chaos-1, both brokers live, quorum epoch 1. */
const leadership = (t: number, epoch: number): Leadership => ({
  type: 'leadership',
  t,
  partitions: [{ topic: 'chaos', partition: 0, leader: 1, leaderEpoch: epoch }, { topic: 'chaos', partition: 1, leader: 2, leaderEpoch: 0 }],
  brokers: [1, 2],
  quorumEpoch: 1,
});

test('the none nemesis must see no election, and must be able to tell', () => {
  assert.equal(unmetExpectation('none', check([leadership(0, 0), leadership(10, 0)])), null);
  assert.equal(
    unmetExpectation('none', check([leadership(0, 0), leadership(10, 1)])),
    'the none nemesis saw 1 leadership change(s), a fencing or election under load alone: chaos-0: leader 1 in epoch 0, then 1 in epoch 1',
  );
  assert.equal(unmetExpectation('none', check([leadership(0, 0)])), 'the none nemesis must see no election, but leadership was not observed before and after the faults');
});

test('other nemeses may cause elections', () => {
  assert.equal(unmetExpectation('kill-leader', check([leadership(0, 0), leadership(10, 1)])), null);
  assert.equal(unmetExpectation('partition-leader', check([])), null);
});
