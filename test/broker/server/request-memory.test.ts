import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestMemory } from '../../../src/broker/server/request-memory.ts';

test('full at the budget; waiters resume once, when the total falls below it, unless cancelled', () => {
  const memory = new RequestMemory(100);
  memory.take(60);
  assert.equal(memory.full, false);
  memory.take(60);
  assert.equal(memory.full, true, 'take never refuses: the total may pass the budget');
  const resumed: string[] = [];
  memory.whenFree(() => resumed.push('a'));
  const cancel = memory.whenFree(() => resumed.push('b'));
  cancel();
  memory.give(10);
  assert.deepEqual(resumed, [], 'still at the budget');
  memory.give(20);
  assert.equal(memory.held, 90);
  assert.deepEqual(resumed, ['a']);
  memory.give(90);
  assert.deepEqual(resumed, ['a'], 'a waiter resumes once');
});

test('a budget of -1 is never full', () => {
  const memory = new RequestMemory(-1);
  memory.take(2 ** 40);
  assert.equal(memory.full, false);
});
