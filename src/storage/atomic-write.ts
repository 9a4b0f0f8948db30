/**
 * The one way kb replaces a whole file (state files, checkpoints, the data
 * dir stamp, `kb cluster up`'s record, reassignment plans): the bytes go to
 * `<file>.tmp` (created or emptied), which is fsynced and closed, renamed
 * over `<file>`, and then the directory is fsynced. A crash (kill -9 or a
 * power cut) at any step leaves `<file>` with its old content or the new,
 * never a mix: before the rename only the temp file changed, and the data
 * is on disk before the rename can be; after the directory fsync the
 * rename survives too. A crash before the rename can leave `<file>.tmp`
 * behind; the next write empties it, and storage recovery removes stray
 * temp files in partition directories (storage/files.ts `tempSuffix`).
 * One writer per file at a time (the temp name is fixed).
 */
import path from 'node:path';
import { tempSuffix } from './files.ts';
import { fsyncDir, type StorageFs } from './fs.ts';

/** Replaces `file` with `bytes` so that a crash leaves the old or the new content, never a mix. */
export async function writeFileAtomically(fs: StorageFs, file: string, bytes: Buffer): Promise<void> {
  const temp = file + tempSuffix;
  const handle = await fs.open(temp, 'w+');
  try {
    const { bytesWritten } = await handle.writev([bytes], 0);
    if (bytesWritten !== bytes.length) throw new Error(`short write to ${temp}: ${bytesWritten} of ${bytes.length} bytes`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
  await fsyncDir(fs, path.dirname(file));
}
