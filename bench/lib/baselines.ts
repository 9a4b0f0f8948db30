/**
 * The machine's limits the comparison is read against:
 * - sequential write of `bytes` to a file in `dir` (the data dir's disk) in
 *   1 MiB plain fs writes, timed twice: up to the last write returning (the
 *   page cache, as kb writes by default) and including a final fdatasync
 *   (the disk itself);
 * - loopback TCP between two processes pinned to different cores
 *   (tcp-pump.ts).
 */
import { spawn } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { clientCore, onCore, serverCore, timedRun } from './processes.ts';

const mib = 1024 * 1024;

export interface DiskBaseline {
  bytes: number;
  bufferedSeconds: number;
  syncedSeconds: number;
}

export async function sequentialWrite(dir: string, bytes: number): Promise<DiskBaseline> {
  const file = path.join(dir, 'sequential-write.bin');
  const chunk = Buffer.alloc(mib, 0x61);
  const handle = await open(file, 'w');
  try {
    const start = performance.now();
    for (let left = bytes; left > 0; left -= mib) await handle.write(chunk, 0, Math.min(mib, left));
    const buffered = performance.now();
    await handle.datasync();
    const synced = performance.now();
    return { bytes, bufferedSeconds: (buffered - start) / 1000, syncedSeconds: (synced - start) / 1000 };
  } finally {
    await handle.close();
    await rm(file, { force: true });
  }
}

export async function loopbackTcp(bytes: number, timeLimitMs: number): Promise<{ bytes: number; seconds: number }> {
  const pump = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tcp-pump.ts');
  const argv = onCore(serverCore, [process.execPath, pump, 'sink']);
  const sink = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], timeout: timeLimitMs });
  try {
    const lines = createInterface({ input: sink.stdout! })[Symbol.asyncIterator]();
    const port = Number((await lines.next()).value);
    await timedRun(onCore(clientCore, [process.execPath, pump, 'source', String(port), String(bytes)]), { timeLimitMs });
    const result = await lines.next();
    if (result.done) throw new Error('the tcp sink ended without a result');
    return JSON.parse(result.value);
  } finally {
    sink.kill();
  }
}
