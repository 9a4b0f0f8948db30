/**
 * Time comes only from the injected Time (src/clock.ts) in the modules
 * that take one, so a fake clock drives them whole: no direct read of
 * Date.now/performance.now, no `new Date()` and no Node timer in their
 * source. Plus the system Time's two clocks and its timers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { systemTime } from '../src/clock.ts';

const src = path.join(import.meta.dirname, '..', 'src');
const injected = [
  'broker/replica',
  'broker/group',
  'broker/broker-lifecycle.ts',
  'broker/controller-channel.ts',
  'controller/controller.ts',
  'controller/broker-sessions.ts',
  'controller/quorum/metadata-quorum.ts',
  'controller/raft',
  'storage/log.ts',
  'storage/log-manager.ts',
  'storage/segment.ts',
  'storage/compaction.ts',
];
/** A clock read or a timer that does not go through an injected Time (`time.setTimeout(` and the like do). */
const direct = /Date\.now\(|performance\.now\(|new Date\(|(?<![.\w])(setTimeout|setInterval|clearTimeout|clearInterval)\(/;

function sources(entry: string): string[] {
  const full = path.join(src, entry);
  if (entry.endsWith('.ts')) return [full];
  return readdirSync(full, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(full, f));
}

test('replication, groups, the controller and the log take time only from the injected Time', () => {
  const found: string[] = [];
  for (const file of injected.flatMap(sources)) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (direct.test(line)) found.push(`${path.relative(src, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, []);
});

test('systemTime: the wall clock is the epoch clock, the monotonic one does not go back, timers fire and clear', async () => {
  const wall = systemTime.wallMs();
  assert.ok(Math.abs(wall - Date.now()) < 1_000);
  const before = systemTime.monotonicMs();
  const fired = await new Promise<number>((resolve) => systemTime.setTimeout(() => resolve(systemTime.monotonicMs()), 5));
  assert.ok(fired >= before);
  let cleared = false;
  systemTime.clear(systemTime.setTimeout(() => (cleared = true), 0));
  let ticks = 0;
  await new Promise<void>((resolve) => {
    const interval = systemTime.setInterval(() => {
      if (++ticks < 3) return;
      systemTime.clear(interval);
      resolve();
    }, 1);
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(cleared, false);
  assert.equal(ticks, 3);
});
