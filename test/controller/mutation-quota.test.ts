import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MutationQuota } from '../../src/controller/mutation-quota.ts';

test('a client mutates its burst at once, may overdraw once, then waits for the refill; clients are independent', () => {
  const clock = { ms: 0 };
  const quota = new MutationQuota(() => 2, () => clock.ms);
  assert.equal(quota.throttleMs('a', 10), 0);
  quota.record('a', 10, 15);
  assert.equal(quota.throttleMs('a', 10), 0, '5 tokens left');
  quota.record('a', 10, 15);
  assert.equal(quota.throttleMs('a', 10), 1_000, '-10 tokens at 10/s');
  assert.equal(quota.throttleMs('b', 10), 0, 'another client has its own bucket');
  clock.ms = 600;
  assert.equal(quota.throttleMs('a', 10), 400);
  clock.ms = 1_000;
  assert.equal(quota.throttleMs('a', 10), 0);
  quota.record('a', 10, -100);
  quota.record('a', 10, 20);
  assert.equal(quota.throttleMs('a', 10), 0, 'a refund fills the bucket no higher than the burst');
  quota.record('a', 10, 1);
  assert.equal(quota.throttleMs('a', 10), 100);
});

test('the throttle time fits a response field however low the rate', () => {
  const quota = new MutationQuota(() => 1, () => 0);
  quota.record('a', 1e-9, 1);
  assert.equal(quota.throttleMs('a', 1e-9), 2_147_483_647);
});
