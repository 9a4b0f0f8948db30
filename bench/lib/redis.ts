/**
 * Redis Streams ingest: a fresh redis-server (Debian package) on a free
 * loopback port, pinned to the server core, with persistence off or with
 * appendonly everysec; redis-benchmark (pinned to the client core) sends
 * `records` XADDs of a `recordSize`-byte field value over one connection,
 * pipelined 1000 deep. Timed as the wall clock of redis-benchmark; the
 * stream's length is checked afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { clientCore, freePort, onCore, pin, serverCore, startServer, timedRun } from './processes.ts';

export type RedisPersistence = 'none' | 'aof-everysec';

const pipelineDepth = 1000;

export async function redisXadd(dir: string, persistence: RedisPersistence, records: number, recordSize: number, timeLimitMs: number): Promise<number> {
  const dataDir = await mkdtemp(path.join(dir, 'redis-'));
  const port = await freePort();
  const persistenceArgs = persistence === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'everysec'];
  const server = await startServer(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--save', '', ...persistenceArgs], port);
  try {
    pin(server.process.pid!, serverCore);
    const value = 'x'.repeat(recordSize);
    const argv = ['redis-benchmark', '-h', '127.0.0.1', '-p', String(port), '-c', '1', '-P', String(pipelineDepth), '-n', String(records), '-q', 'XADD', 'bench', '*', 'v', value];
    const { seconds } = await timedRun(onCore(clientCore, argv), { timeLimitMs, discardStdout: true });
    const length = Number((await timedRun(['redis-cli', '-p', String(port), 'XLEN', 'bench'], { timeLimitMs, settle: false })).stdout);
    if (length !== records) throw new Error(`redis stream holds ${length} entries, expected ${records}`);
    return seconds;
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
