import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { systemTime, type Time } from '../../src/clock.ts';
import { timerDelayMaxMs } from '../../src/limits.ts';
import { readPartitionCheckpoint } from '../../src/storage/checkpoint.ts';
import { StorageError } from '../../src/storage/errors.ts';
import { nodeStorageFs } from '../../src/storage/fs.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import { defer, makeBatch, recordingLogger, recordsOf, tempDir } from './helpers.ts';

async function openManager(t: Parameters<typeof tempDir>[0], dir: string, options: Parameters<typeof LogManager.open>[1] = {}) {
  const manager = await LogManager.open(dir, { background: false, logger: recordingLogger(), ...options });
  defer(t, () => manager.close());
  return manager;
}

test('creates partitions, reports their sizes, and finds them again after a restart', async (t) => {
  const dir = await tempDir(t);
  const manager = await openManager(t, dir);
  for (let p = 0; p < 5; p++) {
    const log = await manager.openOrCreate(`orders-${p}`, { segmentBytes: 10_000 });
    for (let i = 0; i <= p; i++) await log.append(makeBatch({ values: [`p${p}-${i}`] }), 0);
  }
  assert.equal(await manager.openOrCreate('orders-3'), manager.get('orders-3'));
  const sizes = manager.sizes();
  assert.equal(sizes.size, 5);
  assert.ok(sizes.get('orders-4')! > sizes.get('orders-0')!);
  await manager.close();

  const configs: string[] = [];
  const again = await openManager(t, dir, { recoveryThreads: 2, configFor: (name) => (configs.push(name), { segmentBytes: 5000 }) });
  assert.deepEqual(again.partitionNames().sort(), ['orders-0', 'orders-1', 'orders-2', 'orders-3', 'orders-4']);
  assert.deepEqual(configs.sort(), again.partitionNames().sort());
  assert.equal(again.get('orders-2')!.config.segmentBytes, 5000);
  assert.equal(again.get('orders-4')!.logEndOffset, 5n);
  assert.deepEqual(recordsOf(await again.get('orders-4')!.read(4n, 100)).map((r) => r[2]), ['p4-4']);
});

test('concurrent openOrCreate calls for one partition share one log', async (t) => {
  const dir = await tempDir(t);
  const manager = await openManager(t, dir);
  const [a, b] = await Promise.all([manager.openOrCreate('t-0'), manager.openOrCreate('t-0')]);
  assert.equal(a, b);
});

test('delete renames the partition away at once and removes it in the background', async (t) => {
  const dir = await tempDir(t);
  const manager = await openManager(t, dir);
  const log = await manager.openOrCreate('gone-0');
  await log.append(makeBatch(), 0);
  await manager.delete('gone-0');
  assert.equal(manager.get('gone-0'), undefined);
  assert.ok(!(await readdir(dir)).includes('gone-0'));
  await manager.close();
  assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('gone-0')), []);
  const fresh = await openManager(t, dir);
  assert.equal((await fresh.openOrCreate('gone-0')).logEndOffset, 0n);
});

test('directories left mid-delete are removed at start and not opened', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'old-0.abcdef-delete'));
  await writeFile(path.join(dir, 'old-0.abcdef-delete', '00000000000000000000.log'), 'x');
  const manager = await openManager(t, dir);
  assert.deepEqual(manager.partitionNames(), []);
  await manager.close();
  assert.deepEqual(await readdir(dir), []);
});

test('partition names must be plain directory names', async (t) => {
  const dir = await tempDir(t);
  const manager = await openManager(t, dir);
  for (const bad of ['../escape', 'a/b', '.hidden', 'x-delete', '']) {
    await assert.rejects(manager.openOrCreate(bad), (err: StorageError) => err.code === 'invalidName');
  }
});

test('retention and checkpoints run over every log', async (t) => {
  const dir = await tempDir(t);
  const manager = await openManager(t, dir);
  for (const name of ['a-0', 'b-0']) {
    const log = await manager.openOrCreate(name, { segmentBytes: 500, retentionBytes: 600, fileDeleteDelayMs: 0 });
    for (let i = 0; i < 20; i++) await log.append(makeBatch({ valueBytes: 60 }), 0);
    log.updateHighWatermark(log.logEndOffset);
  }
  assert.ok((await manager.enforceRetention()) >= 2);
  await manager.checkpointAll();
  for (const name of ['a-0', 'b-0']) assert.ok(manager.get(name)!.logStartOffset > 0n);
});

test('the recovery flush runs on its timer and checkpoints each log\'s recovery point; an interval past the longest timer is clamped to it', async (t) => {
  const intervals: number[] = [];
  const clock: Time = { ...systemTime, setInterval: (callback, ms, options) => (intervals.push(ms), systemTime.setInterval(callback, ms, options)) };
  const dir = await tempDir(t);
  const manager = await openManager(t, dir, { background: true, clock, recoveryFlushIntervalMs: 20 });
  assert.ok(intervals.includes(20));
  const log = await manager.openOrCreate('a-0');
  for (let i = 0; i < 5; i++) await log.append(makeBatch(), 0);
  const deadline = Date.now() + 30_000;
  while ((await readPartitionCheckpoint(nodeStorageFs, path.join(dir, 'a-0')))?.recoveryPoint !== 5) {
    assert.ok(Date.now() < deadline, 'the recovery point was never checkpointed');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(log.recoveryPoint, 5n);
  intervals.length = 0;
  await openManager(t, await tempDir(t), { background: true, clock, recoveryFlushIntervalMs: 2 ** 40 });
  assert.ok(intervals.includes(timerDelayMaxMs) && !intervals.includes(2 ** 40));
});
