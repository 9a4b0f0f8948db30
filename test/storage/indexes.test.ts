import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nodeStorageFs } from '../../src/storage/fs.ts';
import { OffsetIndex } from '../../src/storage/offset-index.ts';
import { TimeIndex } from '../../src/storage/time-index.ts';
import { tempDir } from './helpers.ts';

test('offset index: floor lookups by binary search, persisted and reloaded', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'x.index');
  const index = OffsetIndex.empty(nodeStorageFs, file);
  for (let i = 1; i <= 1000; i++) index.append(i * 10, i * 4096);
  assert.equal(index.floor(5), null);
  assert.deepEqual(index.floor(10), { relativeOffset: 10, position: 4096 });
  assert.deepEqual(index.floor(15), { relativeOffset: 10, position: 4096 });
  assert.deepEqual(index.floor(1_000_000), { relativeOffset: 10_000, position: 4_096_000 });
  await index.file.persist(true);
  assert.equal((await readFile(file)).length, 8000);
  const { index: loaded, problem } = await OffsetIndex.load(nodeStorageFs, file, 5_000_000);
  assert.equal(problem, null);
  assert.deepEqual(loaded.floor(505), { relativeOffset: 500, position: 50 * 4096 });
});

test('offset index: truncation reaches the file on the next persist', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'x.index');
  const index = OffsetIndex.empty(nodeStorageFs, file);
  for (let i = 1; i <= 10; i++) index.append(i, i * 100);
  await index.file.persist(false);
  index.truncateToPosition(500);
  assert.deepEqual(index.last(), { relativeOffset: 4, position: 400 });
  index.append(7, 450);
  await index.file.persist(false);
  const { index: loaded } = await OffsetIndex.load(nodeStorageFs, file, 10_000);
  assert.equal(loaded.count, 5);
  assert.deepEqual(loaded.last(), { relativeOffset: 7, position: 450 });
});

test('offset index: torn, unsorted, missing and out-of-range files are reported', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'x.index');
  assert.equal((await OffsetIndex.load(nodeStorageFs, file, 100)).problem, 'missing');
  await writeFile(file, Buffer.alloc(12));
  assert.match((await OffsetIndex.load(nodeStorageFs, file, 100)).problem!, /not a multiple/);
  const unsorted = Buffer.alloc(16);
  unsorted.writeUInt32BE(5, 0);
  unsorted.writeUInt32BE(10, 4);
  unsorted.writeUInt32BE(3, 8);
  unsorted.writeUInt32BE(20, 12);
  await writeFile(file, unsorted);
  assert.match((await OffsetIndex.load(nodeStorageFs, file, 100)).problem!, /does not increase/);
  assert.match((await OffsetIndex.load(nodeStorageFs, file, 15)).problem!, /past the log/);
});

test('time index: keeps a rising maximum and finds where to start scanning', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'x.timeindex');
  const index = TimeIndex.empty(nodeStorageFs, file);
  index.maybeAppend(-1, 0); // no timestamp: ignored
  index.maybeAppend(1000, 0);
  index.maybeAppend(900, 3); // not a new maximum: ignored
  index.maybeAppend(2000, 5);
  index.maybeAppend(3000, 9);
  assert.equal(index.count, 3);
  assert.equal(index.lastBelow(1000), null);
  assert.deepEqual(index.lastBelow(1001), { timestamp: 1000, relativeOffset: 0 });
  assert.deepEqual(index.lastBelow(2500), { timestamp: 2000, relativeOffset: 5 });
  index.truncateToOffset(9);
  assert.deepEqual(index.last(), { timestamp: 2000, relativeOffset: 5 });
  await index.file.persist(true);
  const { index: loaded, problem } = await TimeIndex.load(nodeStorageFs, file);
  assert.equal(problem, null);
  assert.deepEqual(loaded.last(), { timestamp: 2000, relativeOffset: 5 });
});
