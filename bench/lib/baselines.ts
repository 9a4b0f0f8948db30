/**
 * The machine's limits the comparison is read against:
 * - sequential write of `bytes` to a file in `dir` (the data dir's disk) in
 *   1 MiB plain fs writes, timed twice: up to the last write returning (the
 *   page cache, as kb writes by default) and including a final fdatasync
 *   (the disk itself), the machine settled first like before every timed
 *   run (processes.ts `settle`);
 * - loopback TCP between two processes pinned to different cores
 *   (tcp-pump.ts).
 */
import { spawn } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { clientCore, onCore, serverCore, settle, timedRun } from './processes.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

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
    settle();
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
  const sink = await startOnServerCore('tcp-pump.ts', ['sink'], timeLimitMs);
  try {
    await timedRun(onCore(clientCore, [process.execPath, path.join(here, 'tcp-pump.ts'), 'source', String(sink.port), String(bytes)]), { timeLimitMs });
    const result = await sink.lines.next();
    if (result.done) throw new Error('the tcp sink ended without a result');
    return JSON.parse(result.value);
  } finally {
    sink.process.kill();
  }
}

/** Starts a script of this folder on the server core; it prints the port it listens on as its first stdout line. */
async function startOnServerCore(script: string, args: string[], timeLimitMs: number) {
  const argv = onCore(serverCore, [process.execPath, path.join(here, script), ...args]);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], timeout: timeLimitMs });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`${script} exited before printing its port`);
  return { process: child, port: Number(first.value), lines };
}
