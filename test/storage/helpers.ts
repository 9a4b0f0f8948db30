/**
 * Shared test fixtures for the storage engine: temporary directories removed
 * after the test, record batches built with the protocol codec, a manual
 * clock, a logger that records lines, and a filesystem whose writes can be
 * made to fail (disk full).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { encodeRecordBatch, decodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { systemTime, type Time } from '../../src/clock.ts';
import type { Logger } from '../../src/logger.ts';
import { nodeStorageFs, type StorageFile, type StorageFs } from '../../src/storage/fs.ts';

const cleanups = new WeakMap<TestContext, (() => unknown)[]>();

/** Runs `fn` after the test, before everything deferred earlier (last in, first out; node runs after hooks first in, first out). */
export function defer(t: TestContext, fn: () => unknown): void {
  let stack = cleanups.get(t);
  if (!stack) {
    const created: (() => unknown)[] = [];
    cleanups.set(t, created);
    t.after(async () => {
      for (const cleanup of created.reverse()) await cleanup();
    });
    stack = created;
  }
  stack.push(fn);
}

export async function tempDir(t: TestContext, prefix = 'kb-storage-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface BatchSpec {
  /** Record values (strings) or explicit records. */
  values?: (string | null)[];
  keys?: (string | null)[];
  timestamp?: number;
  /** Spread of record timestamps: record i gets timestamp + i * step. */
  timestampStep?: number;
  baseOffset?: number;
  leaderEpoch?: number;
  valueBytes?: number;
}

/** A v2 batch; by default one record "v". */
export function makeBatch(spec: BatchSpec = {}): Buffer {
  const values = spec.values ?? (spec.valueBytes !== undefined ? ['x'.repeat(spec.valueBytes)] : ['v']);
  const timestamp = BigInt(spec.timestamp ?? Date.now());
  const step = BigInt(spec.timestampStep ?? 0);
  return encodeRecordBatch({
    baseOffset: BigInt(spec.baseOffset ?? 0),
    partitionLeaderEpoch: spec.leaderEpoch ?? 0,
    baseTimestamp: timestamp,
    records: values.map((value, i) => ({
      key: spec.keys?.[i] === undefined || spec.keys[i] === null ? null : Buffer.from(spec.keys[i]!),
      value: value === null ? null : Buffer.from(value),
      timestampDelta: step * BigInt(i),
    })),
  });
}

/** The records of concatenated batches as [offset, key, value] triples. */
export function recordsOf(bytes: Buffer): [number, string | null, string | null][] {
  const out: [number, string | null, string | null][] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = bytes.readInt32BE(at + 8) + 12;
    const batch = decodeRecordBatch(bytes.subarray(at, at + size));
    for (const r of batch.records) {
      out.push([Number(batch.baseOffset) + r.offsetDelta, r.key?.toString() ?? null, r.value?.toString() ?? null]);
    }
    at += size;
  }
  return out;
}

/** Clocks that stand still until advanced or set (both the same), with real timers. */
export function manualClock(startMs = 1_700_000_000_000): Time & { advance(ms: number): void; set(ms: number): void } {
  let now = startMs;
  return { ...systemTime, wallMs: () => now, monotonicMs: () => now, advance: (ms) => (now += ms), set: (ms) => (now = ms) };
}

export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`), error: (m) => lines.push(`ERROR ${m}`) };
}

/** A filesystem that fails writes with `error` while `failing` is set (after `allowBytes` more bytes). */
export function faultyFs(): StorageFs & { failing: NodeJS.ErrnoException | null; allowBytes: number } {
  const state = {
    failing: null as NodeJS.ErrnoException | null,
    allowBytes: 0,
  };
  const wrap = (file: StorageFile): StorageFile => ({
    read: (b, o, l, p) => file.read(b, o, l, p),
    writev: async (buffers, position) => {
      if (!state.failing) return file.writev(buffers, position);
      const total = buffers.reduce((s, b) => s + b.length, 0);
      if (state.allowBytes <= 0) throw state.failing;
      const allowed = Math.min(total, state.allowBytes);
      state.allowBytes -= allowed;
      const partial: Buffer[] = [];
      let left = allowed;
      for (const b of buffers) {
        if (left <= 0) break;
        partial.push(b.subarray(0, Math.min(b.length, left)));
        left -= b.length;
      }
      return file.writev(partial, position);
    },
    truncate: (n) => file.truncate(n),
    datasync: () => file.datasync(),
    sync: () => file.sync(),
    stat: () => file.stat(),
    close: () => file.close(),
  });
  return Object.assign(state, {
    ...nodeStorageFs,
    open: async (p: string, flags: Parameters<StorageFs['open']>[1]) => wrap(await nodeStorageFs.open(p, flags)),
  });
}

export function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}
