import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { patchBatchOffsets } from '../../src/protocol/records/batch-header.ts';
import { entryHeaderBytes, writeEntryHeader } from '../../src/storage/entry-format.ts';
import { resolveEnvironment, type StorageEnvironment } from '../../src/storage/environment.ts';
import { Segment } from '../../src/storage/segment.ts';
import { makeBatch, recordingLogger, recordsOf, tempDir } from './helpers.ts';

const interval = 256;

async function appendBatches(segment: Segment, count: number, first = segment.nextOffset): Promise<void> {
  let offset = first;
  for (let i = 0; i < count; i++) {
    const batch = makeBatch({ values: [`value-${String(offset).padStart(6, "0")}`, `value-${String(offset + 1).padStart(6, "0")}`], timestamp: 1000 + offset });
    patchBatchOffsets(batch, BigInt(offset), 0);
    const header = Buffer.alloc(entryHeaderBytes);
    writeEntryHeader(header, 0, batch);
    await segment.append([header, batch], [{ baseOffset: offset, lastOffset: offset + 1, maxTimestamp: 1001 + offset, entryBytes: entryHeaderBytes + batch.length }], entryHeaderBytes + batch.length);
    offset += 2;
  }
}

async function fixture(t: Parameters<typeof tempDir>[0]): Promise<{ dir: string; env: StorageEnvironment & { logger: ReturnType<typeof recordingLogger> } }> {
  const dir = await tempDir(t);
  return { dir, env: { ...resolveEnvironment(), logger: recordingLogger() } };
}

test('appended batches read back whole, from the batch holding the offset', async (t) => {
  const { dir, env } = await fixture(t);
  const segment = await Segment.create(env, dir, 100, interval);
  await appendBatches(segment, 50);
  assert.equal(segment.nextOffset, 200);
  const one = await segment.read(151, 1, 200, true);
  assert.deepEqual(recordsOf(one!).map((r) => r[0]), [150, 151]);
  const several = await segment.read(120, 400, 200, true);
  const offsets = recordsOf(several!).map((r) => r[0]);
  assert.equal(offsets[0], 120);
  assert.ok(several!.length <= 400 && offsets.length >= 4);
  assert.deepEqual(await segment.read(120, 10, 200, false), Buffer.alloc(0), 'minOneBatch=false returns nothing when the first batch is too big');
  assert.deepEqual(recordsOf((await segment.read(100, 100_000, 104, true))!).map((r) => r[0]), [100, 101, 102, 103], 'stops before the limit offset');
  assert.equal(await segment.read(500, 100, 1000, true), null);
  await segment.close();
});

test('reopened segment: indexes are loaded lazily and lookups agree with a fresh segment', async (t) => {
  const { dir, env } = await fixture(t);
  const segment = await Segment.create(env, dir, 0, interval);
  await appendBatches(segment, 80);
  await segment.seal();
  await segment.close();
  const reopened = await Segment.open(env, dir, 0, interval);
  await reopened.load();
  assert.equal(reopened.nextOffset, 160);
  assert.equal(reopened.maxTimestamp, 1000 + 159);
  assert.equal(reopened.offsetOfMaxTimestamp, 158);
  assert.deepEqual(recordsOf((await reopened.read(77, 1, 160, true))!).map((r) => r[0]), [76, 77]);
  assert.deepEqual(env.logger.lines, []);
  await reopened.close();
});

for (const [name, damage] of [
  ['missing', (file: string) => unlink(file)],
  ['truncated mid-entry', async (file: string) => truncate(file, (await stat(file)).size - 3)],
  ['garbage', (file: string) => writeFile(file, Buffer.from('not an index at all!'))],
] as const) {
  test(`an offset index that is ${name} is rebuilt from the log`, async (t) => {
    const { dir, env } = await fixture(t);
    const segment = await Segment.create(env, dir, 0, interval);
    await appendBatches(segment, 40);
    await segment.seal();
    await segment.close();
    const before = await readFile(segment.indexPath);
    await damage(segment.indexPath);
    const reopened = await Segment.open(env, dir, 0, interval);
    await reopened.load();
    assert.match(env.logger.lines.join('\n'), /rebuilding the indexes/);
    assert.deepEqual(await readFile(reopened.indexPath), before);
    assert.deepEqual(recordsOf((await reopened.read(41, 1, 80, true))!).map((r) => r[0]), [40, 41]);
    await reopened.close();
  });
}

test('an index missing its last entries is completed from the log tail', async (t) => {
  const { dir, env } = await fixture(t);
  const segment = await Segment.create(env, dir, 0, interval);
  await appendBatches(segment, 40);
  await segment.seal();
  await segment.close();
  const full = await readFile(segment.indexPath);
  await writeFile(segment.indexPath, full.subarray(0, full.length - 16));
  const reopened = await Segment.open(env, dir, 0, interval);
  await reopened.load();
  await reopened.persistIndexes(false);
  assert.deepEqual(await readFile(reopened.indexPath), full);
  await reopened.close();
});

test('recovery keeps whole entries and cuts a torn tail or garbage', async (t) => {
  const { dir, env } = await fixture(t);
  const segment = await Segment.create(env, dir, 0, interval);
  await appendBatches(segment, 10);
  const validBytes = segment.size;
  await segment.close();
  const bytes = await readFile(segment.logPath);
  await appendFile(segment.logPath, bytes.subarray(0, 100)); // a torn copy of the first entry
  const torn = await Segment.open(env, dir, 0, interval);
  const result = await torn.recover(0);
  assert.deepEqual(result, { validBytes, truncatedBytes: 100, problem: result.problem });
  assert.match(result.problem!, /torn/);
  assert.equal((await stat(segment.logPath)).size, validBytes);
  assert.equal(torn.nextOffset, 20);
  await torn.close();

  await appendFile(segment.logPath, Buffer.alloc(5000, 0x9b));
  const garbage = await Segment.open(env, dir, 0, interval);
  assert.equal((await garbage.recover(0)).truncatedBytes, 5000);
  await garbage.close();
});

test('recovery stops at a flipped bit inside a batch', async (t) => {
  const { dir, env } = await fixture(t);
  const segment = await Segment.create(env, dir, 0, interval);
  await appendBatches(segment, 10);
  await segment.close();
  const bytes = await readFile(segment.logPath);
  const entryBytes = bytes.length / 10;
  bytes[entryBytes * 6 + 100] ^= 1;
  await writeFile(segment.logPath, bytes);
  const damaged = await Segment.open(env, dir, 0, interval);
  const result = await damaged.recover(0);
  assert.equal(result.validBytes, entryBytes * 6);
  assert.match(result.problem!, /CRC/);
  assert.equal(damaged.nextOffset, 12);
  await damaged.close();
});

test('a zero-length segment loads as empty', async (t) => {
  const { dir, env } = await fixture(t);
  await writeFile(`${dir}/00000000000000000007.log`, '');
  const segment = await Segment.open(env, dir, 7, interval);
  await segment.load();
  assert.equal(segment.size, 0);
  assert.equal(segment.nextOffset, 7);
  assert.equal(await segment.read(7, 100, 100, true), null);
  await segment.close();
});

test('truncateTo cuts at an entry boundary and the indexes follow', async (t) => {
  const { dir, env } = await fixture(t);
  const segment = await Segment.create(env, dir, 0, interval);
  await appendBatches(segment, 40);
  const entry = await segment.entryAtOrAfter(51);
  assert.equal(entry!.header.baseOffset, 50);
  await segment.truncateTo(entry!.position, 50);
  assert.equal(segment.nextOffset, 50);
  assert.equal(segment.maxTimestamp, 1049);
  await appendBatches(segment, 2);
  assert.deepEqual(recordsOf((await segment.read(50, 10_000, 1000, true))!).map((r) => r[0]), [50, 51, 52, 53]);
  await segment.close();
});
