/**
 * Storage engine throughput, next to what the same disk does with plain fs
 * calls in the same run:
 * - raw sequential write: the same bytes written with FileHandle.write,
 *   one call per batch, no fsync (as the log does by default);
 * - Log.append of 1 MiB and 16 KiB batches, one at a time (a partition's
 *   appends are serialized by the broker), and 16 KiB batches with 64 in
 *   flight (they go out in group writes);
 * - with flush.messages=1 (fsync before each acknowledgement), 16 KiB
 *   batches one at a time and 64 in flight (group commit shares an fsync);
 * - sequential Log.read of everything just written, 1 MiB per read (from
 *   the page cache).
 * Each write case runs `--repeat` times alternating with its raw
 * counterpart; the median is reported. Every run ends with an fsync outside
 * the timing, so each starts without dirty pages from the one before. Options: --mb N (data per case,
 * default 256), --repeat N (default 5), --dir D (default the OS temp dir).
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeRecordBatch } from '../src/protocol/records/record-batch.ts';
import { Log } from '../src/storage/log.ts';
import type { LogConfig } from '../src/storage/log-config.ts';

const mib = 1024 * 1024;
const silent = { info() {}, warn() {}, error() {} };

/** A one-record v2 batch of exactly `bytes` bytes. */
function batchOf(bytes: number): Buffer {
  const overhead = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ value: Buffer.alloc(0) }] }).length;
  let value = bytes - overhead - 4;
  for (;;) {
    const batch = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ value: Buffer.alloc(value, 0x61) }] });
    if (batch.length === bytes) return batch;
    value += bytes - batch.length;
  }
}

interface Measured {
  seconds: number;
  bytes: number;
  ops: number;
}

async function timed(bytes: number, ops: number, work: () => Promise<void>): Promise<Measured> {
  const start = process.hrtime.bigint();
  await work();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes, ops };
}

async function rawWrite(dir: string, batch: Buffer, count: number): Promise<Measured> {
  const file = path.join(dir, 'raw.bin');
  const handle = await open(file, 'w');
  const result = await timed(batch.length * count, count, async () => {
    for (let i = 0; i < count; i++) await handle.write(batch);
  });
  await handle.datasync(); // the next case starts without dirty pages, as after Log.close
  await handle.close();
  await rm(file);
  return result;
}

async function appendAll(dir: string, batch: Buffer, count: number, inFlight: number, config: Partial<LogConfig>): Promise<{ measured: Measured; logDir: string }> {
  const logDir = await mkdtemp(path.join(dir, 'log-'));
  const log = await Log.open(logDir, config, { logger: silent });
  const pool = Array.from({ length: inFlight }, () => Buffer.from(batch));
  const measured = await timed(batch.length * count, count, async () => {
    if (inFlight === 1) {
      for (let i = 0; i < count; i++) await log.append(pool[0], 0);
      return;
    }
    let next = 0;
    await Promise.all(
      pool.map(async (own) => {
        while (next < count) {
          next++;
          await log.append(own, 0);
        }
      }),
    );
  });
  await log.close();
  return { measured, logDir };
}

async function readAll(logDir: string, maxBytes: number): Promise<Measured> {
  const log = await Log.open(logDir, {}, { logger: silent });
  let bytes = 0;
  let reads = 0;
  const result = await timed(0, 0, async () => {
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const chunk = await log.read(offset, maxBytes);
      bytes += chunk.length;
      reads++;
      let at = 0;
      let last = offset;
      while (at < chunk.length) {
        last = chunk.readBigInt64BE(at) + BigInt(chunk.readInt32BE(at + 23));
        at += chunk.readInt32BE(at + 8) + 12;
      }
      offset = last + 1n;
    }
  });
  await log.close();
  return { ...result, bytes, ops: reads };
}

function median(values: Measured[]): Measured {
  return [...values].sort((a, b) => a.bytes / a.seconds - b.bytes / b.seconds)[Math.floor(values.length / 2)];
}

const rate = (m: Measured) => m.bytes / mib / m.seconds;

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { mb: { type: 'string', default: '256' }, repeat: { type: 'string', default: '5' }, dir: { type: 'string', default: os.tmpdir() } } });
  const totalBytes = Number(values.mb) * mib;
  const repeat = Number(values.repeat);
  const dir = await mkdtemp(path.join(values.dir!, 'kb-bench-storage-'));
  const rows: string[][] = [];
  const row = (name: string, m: Measured, baseline: Measured | null) =>
    rows.push([name, rate(m).toFixed(0), (m.ops / m.seconds).toFixed(0), baseline ? `${((100 * rate(m)) / rate(baseline)).toFixed(0)}%` : '']);
  try {
    const logDirs: Record<string, string> = {};
    for (const [label, size, inFlight, config, count] of [
      ['1 MiB', mib, 1, {}, totalBytes / mib],
      ['16 KiB', 16 * 1024, 1, {}, totalBytes / (16 * 1024)],
      ['16 KiB, 64 in flight', 16 * 1024, 64, {}, totalBytes / (16 * 1024)],
      ['16 KiB, flush.messages=1', 16 * 1024, 1, { flushMessages: 1 }, 2000],
      ['16 KiB, flush.messages=1, 64 in flight', 16 * 1024, 64, { flushMessages: 1 }, 8000],
    ] as const) {
      const batch = batchOf(size);
      const raws: Measured[] = [];
      const appends: Measured[] = [];
      for (let r = 0; r < repeat; r++) {
        raws.push(await rawWrite(dir, batch, count));
        const { measured, logDir } = await appendAll(dir, batch, count, inFlight, config);
        appends.push(measured);
        if (r === repeat - 1 && inFlight === 1 && !('flushMessages' in config)) logDirs[label] = logDir;
        else await rm(logDir, { recursive: true, force: true });
      }
      const raw = median(raws);
      if (inFlight === 1 && !('flushMessages' in config)) row(`raw write, ${label} writes`, raw, null);
      row(`append ${label}`, median(appends), raw);
    }
    for (const [label, logDir] of Object.entries(logDirs)) row(`read ${label} batches, 1 MiB per read`, await readAll(logDir, mib), null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const headers = ['case', 'MiB/s', 'ops/s', 'vs raw'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`storage bench: ${values.mb} MiB per case, median of ${repeat}, in ${values.dir} (node ${process.version}, ${os.cpus().length} CPUs)\n`);
  process.stdout.write(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
  process.stdout.write('vs raw: append throughput / raw sequential write of the same bytes with plain fs calls in this run\n');
}
