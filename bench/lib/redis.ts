/**
 * Redis Streams ingest: a fresh redis-server (Debian package) on a free
 * loopback port, pinned to the server core, with persistence off or with
 * appendonly everysec; redis-benchmark (pinned to the client core) sends
 * `records` XADDs of a `recordSize`-byte field value over `connections`
 * connections, each pipelined `pipelineDepth` deep (one connection, as
 * before, left redis-server idle part of the time: 129k rec/s at 100 B
 * against 1.08M with 4 x 256). Timed as the wall clock of redis-benchmark,
 * with the CPU time of redis-server and of redis-benchmark over the run; the
 * stream's length, the records counted, is checked afterwards (redis-benchmark
 * sends whole pipelines: a few more than asked).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { clientCore, freePort, onCore, pin, processCpuSeconds, serverCore, startServer, timedRun, type PeerRun } from './processes.ts';

export type RedisPersistence = 'none' | 'aof-everysec';

export const redisLoad = { connections: 4, pipelineDepth: 256 };

export async function redisXadd(dir: string, persistence: RedisPersistence, records: number, recordSize: number, timeLimitMs: number): Promise<PeerRun> {
  const dataDir = await mkdtemp(path.join(dir, 'redis-'));
  const port = await freePort();
  const persistenceArgs = persistence === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'everysec'];
  const server = await startServer(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--save', '', ...persistenceArgs], port);
  try {
    pin(server.process.pid!, serverCore);
    const value = 'x'.repeat(recordSize);
    const load = ['-c', String(redisLoad.connections), '-P', String(redisLoad.pipelineDepth)];
    const argv = ['redis-benchmark', '-h', '127.0.0.1', '-p', String(port), ...load, '-n', String(records), '-q', 'XADD', 'bench', '*', 'v', value];
    const serverCpuBefore = processCpuSeconds(server.process.pid!);
    const run = await timedRun(onCore(clientCore, argv), { timeLimitMs, discardStdout: true });
    const serverCpuSeconds = processCpuSeconds(server.process.pid!) - serverCpuBefore;
    // redis-benchmark sends whole pipelines, so a few more than `records` (up to connections x depth).
    const length = Number((await timedRun(['redis-cli', '-p', String(port), 'XLEN', 'bench'], { timeLimitMs, settle: false })).stdout);
    if (length < records) throw new Error(`redis stream holds ${length} entries, expected ${records}`);
    return { records: length, seconds: run.seconds, wallSeconds: run.seconds, serverCpuSeconds, generatorCpuSeconds: run.cpuSeconds };
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
