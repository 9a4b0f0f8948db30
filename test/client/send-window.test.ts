/**
 * SendWindow: full at its limit, roomMade waits until at most half the
 * limit is outstanding, drained until nothing is, and neither waits when
 * already true.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SendWindow } from '../../src/client/send-window.ts';

/** Whether `promise` has settled once pending callbacks have run. */
async function isSettled(promise: Promise<void>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

test('roomMade resolves once at most half the limit is outstanding, drained once none is', async () => {
  const window = new SendWindow(4);
  for (let i = 0; i < 3; i++) window.sent();
  assert.equal(window.full, false);
  window.sent();
  assert.equal(window.full, true);

  const room = window.roomMade();
  window.settled();
  assert.equal(await isSettled(room), false, 'three outstanding is more than half of four');
  window.settled();
  assert.equal(await isSettled(room), true, 'two outstanding is half of four');

  const drained = window.drained();
  window.settled();
  assert.equal(await isSettled(drained), false, 'one still outstanding');
  window.settled();
  assert.equal(await isSettled(drained), true);
  assert.equal(await isSettled(window.drained()), true, 'an empty window is drained at once');
});
