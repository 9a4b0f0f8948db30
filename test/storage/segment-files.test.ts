/**
 * Sealed segments' files opened on demand (segment-file.ts): the pool's
 * bound, reads racing a deletion, and running out of file descriptors
 * (EMFILE) while rolling or while opening a sealed segment for a read.
 * A filesystem wrapper counts the files left open and can fail or hold
 * opens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { systemTime } from '../../src/clock.ts';
import { StorageError } from '../../src/storage/errors.ts';
import { nodeStorageFs, type StorageFs } from '../../src/storage/fs.ts';
import { Log } from '../../src/storage/log.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import { SegmentFilePool } from '../../src/storage/segment-file.ts';
import { defer, makeBatch, recordingLogger, recordsOf, tempDir } from './helpers.ts';

function emfile(p: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EMFILE: too many open files, open '${p}'`), { code: 'EMFILE' });
}

/** node:fs that tracks the files left open; `refuse(p)` makes opening p fail with EMFILE, `hold(p)` makes it wait (after opening) for `release`. */
function watchedFs() {
  const open = new Map<number, string>();
  let opened = 0;
  const state = {
    refuse: (_p: string) => false,
    hold: (_p: string) => false,
    held: [] as { path: string; release: () => void }[],
    onHeld: () => {},
    opensOf: new Map<string, number>(),
  };
  const fs: StorageFs = {
    ...nodeStorageFs,
    open: async (p, flags) => {
      if (state.refuse(p)) throw emfile(p);
      const file = await nodeStorageFs.open(p, flags);
      const id = ++opened;
      open.set(id, p);
      state.opensOf.set(p, (state.opensOf.get(p) ?? 0) + 1);
      if (state.hold(p)) {
        await new Promise<void>((release) => {
          state.held.push({ path: p, release });
          state.onHeld();
        });
      }
      return Object.assign(Object.create(file), { close: () => (open.delete(id), file.close()) });
    },
  };
  const openLogs = () => [...open.values()].filter((p) => p.endsWith('.log')).map((p) => path.basename(p));
  /** The `.log` files open but the active one (the last of `count` segments), which opens on first use and then stays open. */
  const openSealed = (count: number) => openLogs().filter((name) => name !== `${String(count - 1).padStart(20, '0')}.log`);
  return Object.assign(state, { fs, openLogs, openSealed });
}

const config: Partial<LogConfig> = { segmentBytes: 200, fileDeleteDelayMs: 0 };

/** A log of `count` one-record segments (all but the last sealed) on a watched filesystem, with a pool keeping `openMax` idle files. */
async function sealedLog(t: Parameters<typeof tempDir>[0], count: number, openMax: number) {
  const dir = await tempDir(t);
  const writer = await Log.open(dir, config, { logger: recordingLogger() });
  for (let i = 0; i < count; i++) await writer.append(makeBatch({ values: [`record-${i}`.padEnd(120, '.')] }), 0);
  writer.updateHighWatermark(writer.logEndOffset);
  assert.equal(writer.segmentCount, count);
  await writer.close();
  const watched = watchedFs();
  const logger = recordingLogger();
  const files = new SegmentFilePool(systemTime, logger, { openMax, idleMs: 60_000 });
  const log = await Log.open(dir, config, { fs: watched.fs, logger, files });
  defer(t, () => log.close());
  return { dir, log, watched, files, logger };
}

const segmentLog = (dir: string, base: number) => path.join(dir, `${String(base).padStart(20, '0')}.log`);

test('sealed segments open their file on first read, and at most openMax stay open while unused', async (t) => {
  const { log, watched, files } = await sealedLog(t, 30, 4);
  assert.deepEqual(watched.openSealed(30), [], 'no sealed segment is open after a clean open');
  for (let offset = 0; offset < 30; offset++) assert.equal(recordsOf(await log.read(BigInt(offset), 1000, { minOneBatch: true }))[0][0], offset);
  assert.equal(files.parkedCount, 4);
  assert.deepEqual(watched.openSealed(30).sort(), [25, 26, 27, 28].map((base) => `${String(base).padStart(20, '0')}.log`), 'the most recently read');
});

test('a segment deleted while a read opens its file: the read gets OFFSET_OUT_OF_RANGE, the file is closed and never opened again, and removed', async (t) => {
  const { dir, log, watched } = await sealedLog(t, 6, 0);
  const first = segmentLog(dir, 0);
  watched.hold = (p) => p === first;
  const opening = new Promise<void>((resolve) => (watched.onHeld = resolve));
  const read = log.read(0n, 1000).then(
    () => null,
    (err: unknown) => err,
  );
  await Promise.race([opening, new Promise((_, reject) => setTimeout(() => reject(new Error('the read did not open the sealed segment')), 5000))]);
  await log.deleteRecordsBefore(2n); // retires segments 0 and 1 while the read's open is in flight
  watched.held.splice(0).forEach((h) => h.release());
  const err = await read;
  assert.ok(err instanceof StorageError, `the read failed cleanly: ${String(err)}`);
  assert.equal(err.code, 'offsetOutOfRange');
  assert.equal(watched.opensOf.get(first), 1, 'the deleted segment was not opened again');
  assert.deepEqual(watched.openSealed(6), [], 'no descriptor of a deleted segment is left open');
  const deadline = Date.now() + 10_000;
  let names = await readdir(dir);
  while (names.some((n) => n.endsWith('.deleted')) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    names = await readdir(dir);
  }
  assert.deepEqual(names.filter((n) => /^0{19}[01]\./.test(n)), [], 'the deleted segments are removed');
  assert.deepEqual(recordsOf(await log.read(2n, 1000))[0].slice(0, 1), [2], 'the rest still reads');
});

test('out of file descriptors when a read opens a sealed segment: a retriable ioFailed error, nothing left open, and the read works once descriptors are free', async (t) => {
  const { dir, log, watched } = await sealedLog(t, 6, 0);
  watched.refuse = () => true;
  await assert.rejects(log.read(1n, 1000), (err: StorageError) => {
    assert.equal(err.code, 'ioFailed');
    assert.match(err.message, new RegExp(`cannot open ${segmentLog(dir, 1)}: too many open files \\(EMFILE\\)`));
    return true;
  });
  assert.deepEqual(watched.openSealed(6), []);
  watched.refuse = () => false;
  assert.equal(recordsOf(await log.read(1n, 1000))[0][0], 1);
  assert.deepEqual(watched.openSealed(6), [], 'closed again after the read (openMax 0)');
});

test('out of file descriptors while rolling: the appends fail, no descriptor leaks, and the log rolls once descriptors are free', async (t) => {
  const { dir, log, watched } = await sealedLog(t, 3, 0);
  watched.refuse = (p) => p === dir; // the directory fsync after the new segment file was created
  for (let i = 0; i < 3; i++) {
    await assert.rejects(log.append(makeBatch({ values: ['x'.repeat(150)] }), 0), (err: StorageError) => err.code === 'ioFailed' && /EMFILE/.test(err.message));
  }
  assert.deepEqual(watched.openSealed(3), [], 'only the active segment is open: the new segment of each failed roll was closed');
  assert.equal(log.segmentCount, 3);
  watched.refuse = () => false;
  await log.append(makeBatch({ values: ['y'.repeat(150)] }), 0);
  assert.equal(log.segmentCount, 4);
  assert.deepEqual(recordsOf(await log.read(3n, 1000)).map((r) => r[0]), [3]);
  assert.deepEqual(watched.openSealed(4), [], 'the old active segment is closed once sealed and fsynced (openMax 0)');
});
