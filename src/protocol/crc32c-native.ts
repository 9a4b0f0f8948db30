/**
 * Hardware CRC-32C from the native addon of @node-rs/crc32 (SSE 4.2 /
 * ARMv8 CRC instructions, ~15x the portable JS on 1 MB), loaded once by
 * native-addons.ts (from node_modules, or from the single executable's
 * asset). `nativeCrc32c` is the addon's `crc32c(bytes, seed)` (same
 * contract as ours), or null with `nativeCrc32cProblem` saying why it
 * could not load; callers then use the portable code.
 */
import { loadNativeAddon, nativeAddons } from './native-addons.ts';

type Crc32c = (bytes: Uint8Array, seed?: number) => number;

const loaded = loadNativeAddon(nativeAddons.crc32c);
const crc = loaded.exports?.crc32c;

export const nativeCrc32c: Crc32c | null = typeof crc === 'function' ? (crc as Crc32c) : null;

/** Why the addon did not load, or null when it did. */
export const nativeCrc32cProblem: string | null = loaded.problem ?? (nativeCrc32c ? null : 'the addon has no crc32c function');
