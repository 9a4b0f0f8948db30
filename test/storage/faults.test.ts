import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from '../../src/storage/errors.ts';
import { cleanShutdownFile } from '../../src/storage/files.ts';
import { nodeStorageFs, type StorageFs } from '../../src/storage/fs.ts';
import { Log } from '../../src/storage/log.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import { defer, enospc, faultyFs, makeBatch, recordingLogger, recordsOf, tempDir } from './helpers.ts';

async function faultyLog(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const fs = faultyFs();
  const logger = recordingLogger();
  const log = await Log.open(dir, { segmentBytes: 4000 }, { fs, logger });
  defer(t, () => log.close());
  return { dir, fs, log, logger };
}

test('disk full: the append fails clearly, nothing is visible, and appends work again once space returns', async (t) => {
  const { dir, fs, log } = await faultyLog(t);
  for (let i = 0; i < 10; i++) await log.append(makeBatch({ values: [`ok${i}`] }), 0);
  fs.failing = enospc();
  await assert.rejects(log.append(makeBatch({ values: ['lost'] }), 0), (err: StorageError) => {
    assert.equal(err.code, 'ioFailed');
    assert.match(err.message, /no space left on device \(ENOSPC\); nothing was appended/);
    return true;
  });
  assert.equal(log.logEndOffset, 10n);
  assert.equal(recordsOf(await log.read(9n, 1000)).at(-1)![2], 'ok9');
  fs.failing = null;
  assert.deepEqual(await log.append(makeBatch({ values: ['back'] }), 0), { baseOffset: 10n, lastOffset: 10n });
  await log.close();
  const logger = recordingLogger();
  const reopened = await Log.open(dir, { segmentBytes: 4000 }, { logger });
  defer(t, () => reopened.close());
  assert.equal(reopened.logEndOffset, 11n);
  assert.deepEqual(recordsOf(await reopened.read(10n, 1000)).map((r) => r[2]), ['back']);
  assert.deepEqual(logger.lines, []);
});

test('a short write (the disk filled mid-way) is cut back: the next append lands where the failed one would have', async (t) => {
  const { dir, fs, log } = await faultyLog(t);
  await log.append(makeBatch({ values: ['first'] }), 0);
  fs.failing = enospc();
  fs.allowBytes = 70;
  const group = [log.append(makeBatch({ values: ['a'] }), 0), log.append(makeBatch({ values: ['b'] }), 0)];
  for (const result of await Promise.allSettled(group)) assert.equal(result.status, 'rejected');
  fs.failing = null;
  await log.append(makeBatch({ values: ['second'] }), 0);
  assert.deepEqual(recordsOf(await log.read(0n, 10_000)).map((r) => r.slice(0, 3)), [[0, null, 'first'], [1, null, 'second']]);
  await log.close();
  const reopened = await Log.open(dir, {}, { logger: recordingLogger() });
  defer(t, () => reopened.close());
  assert.equal(reopened.logEndOffset, 2n);
});

test('disk full while rolling: the append fails, the log keeps its active segment', async (t) => {
  const { fs, log } = await faultyLog(t);
  while (log.segmentCount === 1) await log.append(makeBatch({ valueBytes: 300 }), 0);
  const end = log.logEndOffset;
  const segments = log.segmentCount;
  fs.failing = enospc();
  await assert.rejects(log.append(makeBatch({ valueBytes: 3000 }), 0), /ENOSPC/);
  assert.equal(log.logEndOffset, end);
  fs.failing = null;
  await log.append(makeBatch({ valueBytes: 3000 }), 0);
  assert.ok(log.segmentCount >= segments);
  assert.equal(log.logEndOffset, end + 1n);
});

test('a failed fsync takes the log offline: reads still work, writes are refused', async (t) => {
  const dir = await tempDir(t);
  let failSync = false;
  const fs: StorageFs = {
    ...nodeStorageFs,
    open: async (p, flags) => {
      const file = await nodeStorageFs.open(p, flags);
      return Object.assign(Object.create(file), {
        datasync: () => (failSync ? Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })) : file.datasync()),
      });
    },
  };
  const logger = recordingLogger();
  const log = await Log.open(dir, { flushMessages: 1 }, { fs, logger });
  defer(t, () => log.close());
  await log.append(makeBatch({ values: ['kept'] }), 0);
  failSync = true;
  await assert.rejects(log.append(makeBatch(), 0), (err: StorageError) => err.code === 'offline' && /i\/o error \(EIO\)/.test(err.message));
  assert.equal(log.offline, true);
  await assert.rejects(log.append(makeBatch(), 0), (err: StorageError) => err.code === 'offline');
  assert.deepEqual(recordsOf(await log.read(0n, 1000)).map((r) => r[2]), ['kept']);
  assert.match(logger.lines.join('\n'), /offline/);
});

test('a data directory that cannot be written is a clear error at start', async (t) => {
  const dir = await tempDir(t);
  const denied: StorageFs = {
    ...nodeStorageFs,
    open: async (p, flags) => {
      if (flags !== 'r') throw Object.assign(new Error(`EACCES: permission denied, open '${p}'`), { code: 'EACCES' });
      return nodeStorageFs.open(p, flags);
    },
  };
  await assert.rejects(LogManager.open(dir, { fs: denied, background: false }), (err: StorageError) => {
    assert.equal(err.code, 'notWritable');
    assert.match(err.message, new RegExp(`data directory ${dir} is not writable: permission denied \\(EACCES\\)`));
    return true;
  });
  const file = path.join(dir, 'a-file');
  await writeFile(file, 'x');
  await assert.rejects(LogManager.open(file, { background: false }), (err: StorageError) => err.code === 'notWritable' && /EEXIST|ENOTDIR/.test(err.message));
});

/** A filesystem whose `failAt`-th open fails with EMFILE (the process is out of file descriptors), and which tracks the files left open. */
function descriptorStarvedFs(failAt: number) {
  let opens = 0;
  const open = new Set<string>();
  const fs: StorageFs = {
    ...nodeStorageFs,
    open: async (p, flags) => {
      if (++opens === failAt) throw Object.assign(new Error(`EMFILE: too many open files, open '${p}'`), { code: 'EMFILE' });
      const file = await nodeStorageFs.open(p, flags);
      const id = `${opens}: ${p}`;
      open.add(id);
      return Object.assign(Object.create(file), { close: () => (open.delete(id), file.close()) });
    },
  };
  return { fs, open, opens: () => opens };
}

test('out of file descriptors at any point of opening a log: the open fails and leaves no file open', async (t) => {
  const source = await tempDir(t);
  const log = await Log.open(source, { segmentBytes: 300 }, { logger: recordingLogger() });
  for (let i = 0; i < 6; i++) await log.append(makeBatch({ valueBytes: 120 }), 0);
  assert.ok(log.segmentCount >= 3, 'several segments to open');
  await log.close();
  for (let failAt = 1; ; failAt++) {
    const dir = await tempDir(t);
    await cp(source, dir, { recursive: true });
    await rm(path.join(dir, cleanShutdownFile)); // an unclean stop: recovery runs and rewrites the checkpoints
    const starved = descriptorStarvedFs(failAt);
    const opened = await Log.open(dir, { segmentBytes: 300 }, { fs: starved.fs, logger: recordingLogger() }).catch((err: Error) => err);
    if (opened instanceof Error) {
      assert.match(opened.message, /EMFILE/, `open ${failAt} failed`);
      assert.deepEqual([...starved.open], [], `nothing stays open when open ${failAt} fails`);
      continue;
    }
    // The failing open may come during close (the clean-shutdown marker): close reports it, and still closes every file.
    await opened.close().catch((err: Error) => assert.match(err.message, /EMFILE/));
    assert.deepEqual([...starved.open], [], `nothing stays open after a close (open ${failAt} failed)`);
    if (starved.opens() < failAt) break; // every open of the whole sequence has been made to fail once
  }
});
