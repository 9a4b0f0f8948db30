/**
 * Hardware CRC-32C from the native addon of @node-rs/crc32 (SSE 4.2 /
 * ARMv8 CRC instructions, ~15x the portable JS on 1 MB), loaded once:
 * - run by node: from node_modules;
 * - in the single executable (dist/kb): from its SEA asset `crc32c.node`
 *   (scripts/build-binary.ts embeds it), written once to a directory only
 *   this user can write (`kb-<uid>` in the OS temp dir, mode 0700, checked
 *   to be ours) under a name holding the addon's hash, then dlopen'ed.
 * `nativeCrc32c` is the addon's `crc32c(bytes, seed)` (same contract as
 * ours), or null with `nativeCrc32cProblem` saying why it could not load;
 * callers then use the portable code.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import sea from 'node:sea';

export const seaAssetName = 'crc32c.node';

type Crc32c = (bytes: Uint8Array, seed?: number) => number;

let problem: string | null = null;

function load(): Crc32c | null {
  try {
    const addon = sea.isSea() ? loadSeaAsset() : createRequire(import.meta.url)('@node-rs/crc32');
    const crc = (addon as { crc32c?: Crc32c }).crc32c;
    if (typeof crc !== 'function') throw new Error('the addon has no crc32c function');
    return crc;
  } catch (err) {
    problem = (err as Error).message.split('\n')[0];
    return null;
  }
}

function loadSeaAsset(): unknown {
  const bytes = Buffer.from(sea.getRawAsset(seaAssetName));
  const dir = path.join(os.tmpdir(), `kb-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = lstatSync(dir);
  if (!info.isDirectory() || (process.getuid && info.uid !== process.getuid())) throw new Error(`${dir} is not a directory of this user`);
  chmodSync(dir, 0o700);
  const file = path.join(dir, `crc32c-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.node`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, bytes, { mode: 0o500 });
    renameSync(partial, file);
  }
  const module = { exports: {} };
  process.dlopen(module, file);
  return module.exports;
}

export const nativeCrc32c: Crc32c | null = load();

/** Why the addon did not load, or null when it did. */
export const nativeCrc32cProblem: string | null = problem;
