/** RateLimitedLog: the first line is written, lines within the interval are counted, the next line written says how many were left out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimitedLog } from '../../../src/broker/server/rate-limited-log.ts';

test('within the interval lines are counted, not written', () => {
  const lines: string[] = [];
  const log = new RateLimitedLog((line) => lines.push(line), 60_000, 'more refused');
  for (let i = 0; i < 1000; i++) log.note(`refused ${i}`);
  assert.deepEqual(lines, ['refused 0']);
});

test('the next line written says how many were left out', () => {
  const lines: string[] = [];
  let nowMs = 0;
  const log = new RateLimitedLog((line) => lines.push(line), 1_000, 'more refused', () => nowMs);
  log.note('first');
  nowMs = 999;
  log.note('second');
  log.note('third');
  nowMs = 1_999;
  log.note('fourth');
  nowMs = 5_000;
  log.note('fifth');
  assert.deepEqual(lines, ['first', 'fourth (2 more refused since the last such line)', 'fifth']);
});
