import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, cp, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readPartitionCheckpoint } from '../../src/storage/checkpoint.ts';
import { nodeStorageFs, type StorageFs } from '../../src/storage/fs.ts';
import { Log } from '../../src/storage/log.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import { entryHeaderBytes } from '../../src/storage/entry-format.ts';
import { defer, makeBatch, recordingLogger, recordsOf, tempDir } from './helpers.ts';

const config: Partial<LogConfig> = { segmentBytes: 1500, indexIntervalBytes: 200 };

/** A log with `batches` two-record batches, and a copy of its directory as kill -9 would leave it (no close). */
async function crashedCopy(t: Parameters<typeof tempDir>[0], batches: number, prepare?: (log: Log) => Promise<void>) {
  const dir = await tempDir(t);
  const crashed = await tempDir(t);
  const log = await Log.open(dir, config, { logger: recordingLogger() });
  for (let i = 0; i < batches; i++) await log.append(makeBatch({ values: [`a${i}`, `b${i}`] }), Math.floor(i / 10));
  await prepare?.(log);
  await cp(dir, crashed, { recursive: true });
  await log.close();
  return { dir, crashed };
}

async function reopen(t: Parameters<typeof tempDir>[0], dir: string, logConfig = config) {
  const logger = recordingLogger();
  const log = await Log.open(dir, logConfig, { logger });
  defer(t, () => log.close());
  return { log, logger };
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
}

async function allValues(log: Log): Promise<string[]> {
  const values: string[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const records = recordsOf(await log.read(offset, 1_000_000));
    values.push(...records.map((r) => r[2]!));
    offset = BigInt(records.at(-1)![0] + 1);
  }
  return values;
}

test('after a crash, a torn last entry is cut and the log ends at the batch before it', async (t) => {
  const { crashed } = await crashedCopy(t, 30);
  const last = path.join(crashed, (await segmentFiles(crashed)).at(-1)!);
  await truncate(last, (await stat(last)).size - 5);
  const { log, logger } = await reopen(t, crashed);
  assert.equal(log.logEndOffset, 58n);
  assert.match(logger.lines.join('\n'), /truncated \d+ bytes at byte \d+ \(torn entry/);
  assert.equal((await allValues(log)).length, 58);
  await log.append(makeBatch({ values: ['after'] }), 5);
  assert.deepEqual(recordsOf(await log.read(58n, 100)).map((r) => r.slice(0, 3)), [[58, null, 'after']]);
});

test('garbage after the last entry is cut, even after a clean shutdown', async (t) => {
  const dir = await tempDir(t);
  const log = await Log.open(dir, config, { logger: recordingLogger() });
  for (let i = 0; i < 30; i++) await log.append(makeBatch({ values: [`a${i}`, `b${i}`] }), 0);
  await log.close();
  const last = path.join(dir, (await segmentFiles(dir)).at(-1)!);
  const size = (await stat(last)).size;
  await appendFile(last, Buffer.from('garbage that is not an entry'));
  const { log: reopened, logger } = await reopen(t, dir);
  assert.equal(reopened.logEndOffset, 60n);
  assert.equal((await stat(last)).size, size);
  assert.match(logger.lines.join('\n'), /truncated 28 bytes/);
});

test('missing or truncated indexes are rebuilt on open', async (t) => {
  const dir = await tempDir(t);
  const log = await Log.open(dir, config, { logger: recordingLogger() });
  for (let i = 0; i < 60; i++) await log.append(makeBatch({ values: [`a${i}`, `b${i}`] }), 0);
  await log.close();
  const indexes = (await readdir(dir)).filter((f) => f.endsWith('.index')).sort();
  const firstIndex = await readFile(path.join(dir, indexes[0]));
  assert.ok(firstIndex.length > 0);
  await unlink(path.join(dir, indexes[0]));
  await truncate(path.join(dir, indexes.at(-1)!), 3);
  const { log: reopened, logger } = await reopen(t, dir);
  assert.equal((await allValues(reopened)).length, 120);
  assert.deepEqual(await readFile(path.join(dir, indexes[0])), firstIndex);
  assert.equal(logger.lines.filter((l) => /rebuilding the indexes/.test(l)).length, 2);
});

test('a corrupt entry in the middle: recovery truncates there and deletes the later segments', async (t) => {
  const { crashed } = await crashedCopy(t, 60);
  const files = await segmentFiles(crashed);
  assert.ok(files.length >= 5);
  const victim = path.join(crashed, files[2]);
  const bytes = await readFile(victim);
  bytes[bytes.length - 10] ^= 0xff; // inside the last batch of the third segment
  await writeFile(victim, bytes);
  const { log, logger } = await reopen(t, crashed);
  assert.deepEqual(await segmentFiles(crashed), files.slice(0, 3));
  assert.match(logger.lines.join('\n'), /batch CRC mismatch/);
  assert.match(logger.lines.join('\n'), /deleting \d+ segment\(s\) after the invalid entry/);
  const values = await allValues(log);
  assert.equal(values.length, Number(log.logEndOffset));
  assert.deepEqual(values.slice(0, 4), ['a0', 'b0', 'a1', 'b1']);
});

test('recovery starts at the recovery point: flushed segments are not rescanned', async (t) => {
  const { crashed } = await crashedCopy(t, 60, async (log) => {
    await log.flush();
    await log.checkpoint();
  });
  const files = await segmentFiles(crashed);
  const early = path.join(crashed, files[0]);
  const bytes = await readFile(early);
  bytes[bytes.length - 10] ^= 0xff; // below the recovery point: nobody looks
  await writeFile(early, bytes);
  const { log, logger } = await reopen(t, crashed);
  assert.equal(log.logEndOffset, 120n);
  assert.deepEqual(logger.lines, []);
});

test('leftovers of interrupted operations are removed on open', async (t) => {
  const { crashed } = await crashedCopy(t, 10);
  for (const leftover of ['00000000000000000003.log.deleted', 'partition.checkpoint.tmp', '00000000000000000000.log.cleaned', '00000000000000009999.index', '00000000000000009999.timeindex']) {
    await writeFile(path.join(crashed, leftover), 'x');
  }
  const { log } = await reopen(t, crashed);
  assert.equal(log.logEndOffset, 20n);
  const names = await readdir(crashed);
  assert.deepEqual(names.filter((n) => /deleted|tmp|cleaned|9999/.test(n)), []);
});

test('a crash right after a roll leaves an empty last segment, which is simply the active one', async (t) => {
  const { crashed } = await crashedCopy(t, 10);
  await writeFile(path.join(crashed, '00000000000000000020.log'), '');
  const { log } = await reopen(t, crashed);
  assert.equal(log.logEndOffset, 20n);
  assert.deepEqual(log.segmentBaseOffsets().at(-1), 20n);
  assert.deepEqual(await log.append(makeBatch(), 1), { baseOffset: 20n, lastOffset: 20n });
});

test('without checkpoints, recovery scans everything and rebuilds the leader epoch cache', async (t) => {
  const { crashed } = await crashedCopy(t, 35);
  await unlink(path.join(crashed, 'partition.checkpoint')).catch(() => undefined);
  await unlink(path.join(crashed, 'leader-epoch-checkpoint')).catch(() => undefined);
  const { log } = await reopen(t, crashed);
  assert.equal(log.logEndOffset, 70n);
  assert.equal(log.latestEpoch, 3);
  assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 40n });
  assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 70n });
});

/** One segment for everything: the recovery point falls inside the active segment. */
const oneSegment: Partial<LogConfig> = { segmentBytes: 1_000_000, indexIntervalBytes: 200 };

/** A one-segment log: 40 batches, a recovery flush, 20 more batches, copied as kill -9 leaves it; the copy's .log path. */
async function crashedAfterRecoveryFlush(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const crashed = await tempDir(t);
  const log = await Log.open(dir, oneSegment, { logger: recordingLogger() });
  for (let i = 0; i < 40; i++) await log.append(makeBatch({ values: [`a${i}`, `b${i}`] }), 0);
  await log.flushRecoveryPoint();
  assert.equal(log.recoveryPoint, 80n);
  assert.equal((await readPartitionCheckpoint(nodeStorageFs, dir))?.recoveryPoint, 80);
  for (let i = 40; i < 60; i++) await log.append(makeBatch({ values: [`a${i}`, `b${i}`] }), 0);
  await cp(dir, crashed, { recursive: true });
  await log.close();
  const files = await segmentFiles(crashed);
  assert.equal(files.length, 1);
  return path.join(crashed, files[0]);
}

test('a recovery point inside the active segment: only entries from it on are re-checked, and a torn tail is still cut', async (t) => {
  const file = await crashedAfterRecoveryFlush(t);
  const bytes = await readFile(file);
  bytes[entryHeaderBytes + 70] ^= 0xff; // a record of the first batch, far below the recovery point: nobody looks
  await writeFile(file, bytes.subarray(0, bytes.length - 5)); // and a torn last entry
  const { log, logger } = await reopen(t, path.dirname(file), oneSegment);
  assert.equal(log.logEndOffset, 118n);
  assert.equal(logger.lines.length, 1);
  assert.match(logger.lines[0], /truncated \d+ bytes at byte \d+ \(torn entry/);
  const tail = recordsOf(await log.read(80n, 1_000_000)).map((r) => r[2]);
  assert.deepEqual([tail[0], tail.at(-1), tail.length], ['a40', 'b58', 38]);
  assert.deepEqual(await log.append(makeBatch({ values: ['after'] }), 0), { baseOffset: 118n, lastOffset: 118n });
});

test('garbage after the recovery point is cut; an offset index that does not fit the log sends recovery over the whole segment', async (t) => {
  const file = await crashedAfterRecoveryFlush(t);
  await appendFile(file, Buffer.from('garbage that is not an entry'));
  const index = file.replace(/\.log$/, '.index');
  const entries = await readFile(index);
  assert.ok(entries.length >= 16);
  entries.writeUInt32BE(entries.readUInt32BE(4) + 1, 4); // the first entry points one byte too far
  await writeFile(index, entries.subarray(0, 8)); // and is the only one: recovery would start from it
  const { log, logger } = await reopen(t, path.dirname(file), oneSegment);
  const lines = logger.lines.join('\n');
  assert.match(lines, /below the recovery point 80; scanning the whole file/);
  assert.match(lines, /truncated 28 bytes/);
  assert.equal(log.logEndOffset, 120n);
  assert.equal((await allValues(log)).length, 120);
});

test('the checkpoint never claims more than was fsynced: appends during a recovery flush wait for the next one', async (t) => {
  const dir = await tempDir(t);
  let release = () => {};
  let gated = false;
  let endAtSync = -1n;
  let log: Log | null = null;
  const gatedFs: StorageFs = {
    ...nodeStorageFs,
    open: async (file, flags) => {
      const handle = await nodeStorageFs.open(file, flags);
      if (!file.endsWith('.log')) return handle;
      return Object.assign(Object.create(handle) as typeof handle, {
        datasync: async () => {
          if (gated) {
            endAtSync = log!.logEndOffset;
            await new Promise<void>((resolve) => (release = resolve));
          }
          return handle.datasync();
        },
      });
    },
  };
  log = await Log.open(dir, oneSegment, { fs: gatedFs, logger: recordingLogger() });
  defer(t, () => log.close());
  for (let i = 0; i < 10; i++) await log.append(makeBatch({ values: [`a${i}`] }), 0);
  gated = true;
  const flushing = log.flushRecoveryPoint();
  while (endAtSync < 0n) await new Promise((resolve) => setImmediate(resolve));
  gated = false;
  await log.append(makeBatch({ values: ['during'] }), 0); // appends go on while the fsync runs
  assert.equal(log.recoveryPoint, 0n);
  assert.equal((await readPartitionCheckpoint(nodeStorageFs, dir))?.recoveryPoint, 0);
  release();
  await flushing;
  assert.equal(endAtSync, 10n);
  assert.equal(log.recoveryPoint, 10n);
  assert.equal((await readPartitionCheckpoint(nodeStorageFs, dir))?.recoveryPoint, 10);
  await log.flushRecoveryPoint();
  assert.equal((await readPartitionCheckpoint(nodeStorageFs, dir))?.recoveryPoint, 11);
});
