import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isThrottledReplica, ReplicationThrottle } from '../../../src/broker/replica/replication-throttle.ts';
import type { PartitionRecord } from '../../../src/metadata/records.ts';

test('the throttle lets a transfer through, then asks for the pause that keeps the average at the rate', () => {
  let now = 1_000;
  const throttle = new ReplicationThrottle(() => 1000, { wallMs: () => now, monotonicMs: () => now });
  assert.equal(throttle.delayMs(), 0);
  throttle.record(500);
  assert.equal(throttle.delayMs(), 500);
  throttle.record(1000);
  assert.equal(throttle.delayMs(), 1500);
  now += 2000;
  assert.equal(throttle.delayMs(), 0, 'drained');
  throttle.record(100);
  assert.equal(throttle.delayMs(), 100, 'idle time is not saved up');
});

test('only replicas being added and not yet in sync are throttled', () => {
  const state = (adding: number[] | undefined, isr: number[]): PartitionRecord => ({
    type: 'partition', topicId: 't', partition: 0, replicas: [1, 2, 3], isr, leader: 1, leaderEpoch: 0, partitionEpoch: 0, addingReplicas: adding,
  });
  assert.equal(isThrottledReplica(state([3], [1, 2]), 3), true);
  assert.equal(isThrottledReplica(state([3], [1, 2, 3]), 3), false);
  assert.equal(isThrottledReplica(state([3], [1, 2]), 2), false);
  assert.equal(isThrottledReplica(state(undefined, [1, 2]), 3), false);
});
