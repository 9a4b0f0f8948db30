/**
 * The native addons kb uses where they load, each with a portable JS
 * fallback in its caller: @node-rs/crc32 (hardware CRC-32C) and
 * @napi-rs/snappy (decompression). `loadNativeAddon(addon)` loads the addon's
 * .node file for this platform once and returns its exports, or the reason
 * it could not:
 * - run by node: the platform package's main file from node_modules
 *   (`addonFile`, which scripts/build-binary.ts also uses to embed it);
 * - in the single executable (dist/kb): its SEA asset, written once to a
 *   directory only this user can write (`kb-<uid>` in the OS temp dir, mode
 *   0700, checked to be ours) under a name holding the addon's hash, then
 *   dlopen'ed.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import sea from 'node:sea';

export interface NativeAddon {
  /** The npm package; its platform package is `<package>-<platform>-<arch>[-gnu]`. */
  package: string;
  /** The SEA asset holding the .node file in the single executable. */
  asset: string;
}

export const nativeAddons = {
  crc32c: { package: '@node-rs/crc32', asset: 'crc32c.node' },
  snappy: { package: '@napi-rs/snappy', asset: 'snappy.node' },
} as const satisfies Record<string, NativeAddon>;

export type Loaded = { exports: Record<string, unknown>; problem: null } | { exports: null; problem: string };

/** A require for node_modules, made only when needed: import.meta.url is empty inside the single executable. */
const requireHere = () => createRequire(import.meta.url);

/** The .node file of the addon's package for this platform (as napi-rs loaders pick it on glibc), or null. */
export function addonFile(addon: NativeAddon): string | null {
  const libc = process.platform === 'linux' ? '-gnu' : process.platform === 'win32' ? '-msvc' : '';
  try {
    const manifest = requireHere().resolve(`${addon.package}-${process.platform}-${process.arch}${libc}/package.json`);
    const { main } = JSON.parse(readFileSync(manifest, 'utf8')) as { main: string };
    return path.join(path.dirname(manifest), main);
  } catch {
    return null;
  }
}

export function loadNativeAddon(addon: NativeAddon): Loaded {
  try {
    if (sea.isSea()) return { exports: fromSeaAsset(addon.asset), problem: null };
    const file = addonFile(addon);
    if (!file) throw new Error(`no ${addon.package} addon for ${process.platform}-${process.arch} in node_modules`);
    return { exports: requireHere()(file) as Record<string, unknown>, problem: null };
  } catch (err) {
    return { exports: null, problem: (err as Error).message.split('\n')[0] };
  }
}

function fromSeaAsset(asset: string): Record<string, unknown> {
  const bytes = Buffer.from(sea.getRawAsset(asset));
  const dir = path.join(os.tmpdir(), `kb-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = lstatSync(dir);
  if (!info.isDirectory() || (process.getuid && info.uid !== process.getuid())) throw new Error(`${dir} is not a directory of this user`);
  chmodSync(dir, 0o700);
  const file = path.join(dir, `${path.basename(asset, '.node')}-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.node`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, bytes, { mode: 0o500 });
    renameSync(partial, file);
  }
  const module = { exports: {} };
  process.dlopen(module, file);
  return module.exports;
}
