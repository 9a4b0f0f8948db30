/**
 * storage/atomic-write.ts, the one whole-file replacement: the temp file is
 * written and fsynced before it is renamed over the file, and the directory
 * is fsynced after; a crash at any step leaves the old or the new content;
 * a temp file left by a crash does not get in the way of the next write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../../src/storage/atomic-write.ts';
import { nodeStorageFs, type StorageFile, type StorageFs } from '../../src/storage/fs.ts';
import { tempDir } from './helpers.ts';

/** The real filesystem, logging each call; the call numbered `crashAt` (from 0, closes not counted) throws instead, as if the process died there. */
function recordingFs(crashAt = Infinity): StorageFs & { calls: string[] } {
  const calls: string[] = [];
  let steps = 0;
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    if (steps++ === crashAt) throw new Error(`crash at ${name}`);
    calls.push(name);
    return run();
  };
  const wrap = (file: StorageFile, name: string): StorageFile => ({
    ...file,
    writev: (buffers, position) => step(`writev ${name}`, () => file.writev(buffers, position)),
    datasync: () => step(`datasync ${name}`, () => file.datasync()),
    sync: () => step(`sync ${name}`, () => file.sync()),
    close: () => file.close().then(() => void calls.push(`close ${name}`)),
  });
  return {
    ...nodeStorageFs,
    calls,
    open: (p, flags) => step(`open ${path.basename(p)} ${flags}`, async () => wrap(await nodeStorageFs.open(p, flags), path.basename(p))),
    rename: (from, to) => step(`rename ${path.basename(from)} ${path.basename(to)}`, () => nodeStorageFs.rename(from, to)),
  };
}

test('the temp file is written and fsynced before the rename; the directory is fsynced after it', async (t) => {
  const dir = await tempDir(t, 'kb-atomic-');
  const fs = recordingFs();
  await writeFileAtomically(fs, path.join(dir, 'state'), Buffer.from('new'));
  assert.deepEqual(fs.calls, [
    'open state.tmp w+',
    'writev state.tmp',
    'datasync state.tmp',
    'close state.tmp',
    'rename state.tmp state',
    `open ${path.basename(dir)} r`,
    `sync ${path.basename(dir)}`,
    `close ${path.basename(dir)}`,
  ]);
  assert.equal(await readFile(path.join(dir, 'state'), 'utf8'), 'new');
  assert.deepEqual(await readdir(dir), ['state'], 'no temp file left');
});

test('a crash at any step leaves the old content or the new, and the next write succeeds', async (t) => {
  const steps = 7; // open, writev, datasync, rename, open dir, sync dir: crash points 0..5, and 6 = none
  for (let crashAt = 0; crashAt < steps; crashAt++) {
    const dir = await tempDir(t, 'kb-atomic-');
    const file = path.join(dir, 'state');
    await writeFile(file, 'old');
    const write = writeFileAtomically(recordingFs(crashAt), file, Buffer.from('new'));
    if (crashAt < steps - 1) await assert.rejects(write, /crash at/);
    else await write;
    const renamed = crashAt >= 4; // the crash came after the rename
    assert.equal(await readFile(file, 'utf8'), renamed ? 'new' : 'old', `crash at step ${crashAt}`);
    await writeFileAtomically(nodeStorageFs, file, Buffer.from('next'));
    assert.equal(await readFile(file, 'utf8'), 'next', `a write after a crash at step ${crashAt}`);
    assert.deepEqual(await readdir(dir), ['state'], `the next write leaves no temp file (crash at step ${crashAt})`);
  }
});

test('a short write (disk full) fails before the rename: the old content stays', async (t) => {
  const dir = await tempDir(t, 'kb-atomic-');
  const file = path.join(dir, 'state');
  await writeFile(file, 'old');
  const short: StorageFs = {
    ...nodeStorageFs,
    open: async (p, flags) => {
      const handle = await nodeStorageFs.open(p, flags);
      return { ...handle, writev: async () => ({ bytesWritten: 1 }), datasync: () => handle.datasync(), close: () => handle.close() } as StorageFile;
    },
  };
  await assert.rejects(writeFileAtomically(short, file, Buffer.from('new')), /short write to .*state\.tmp: 1 of 3 bytes/);
  assert.equal(await readFile(file, 'utf8'), 'old');
});
