/**
 * Smoke run of the bench sections of issue #29 (fair peers, compressed
 * ingest, scaling curves) with tiny counts: `npm run bench -- compare
 * --sections peers,compression,scaling` exits 0, every row and curve was
 * measured (none "not available"), and the scaling curves' JSON and SVG
 * files are written. Figures are not asserted: benchmarks measure them.
 * Needs kcat, redis-server, nats-server and the Go nats client (.ci/run
 * installs them; a missing one fails the test, see helpers/tools.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot, requireTool, tools } from '../helpers/tools.ts';

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No settling between runs (see bench/lib/processes.ts): no figure is asserted.
    const env = { ...process.env, KB_BENCH_SETTLE: '0' };
    const child = spawn(process.execPath, [path.join(repoRoot, 'bench/run.ts'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('bench peers, compression and scaling sections run with tiny counts', async (t) => {
  for (const tool of [tools.kcat, tools.redis, tools.natsServer, tools.natsGo]) if (!requireTool(t, tool)) return;
  const results = await mkdtemp(path.join(os.tmpdir(), 'kb-bench-smoke-'));
  t.after(() => rm(results, { recursive: true, force: true }));
  const tiny = ['--compression-rounds', '1', '--records-small', '2000', '--records-large', '500', '--scaling-records', '400', '--scaling-partitions', '1,16', '--scaling-clients', '1,4'];
  const r = await runBench(['compare', '--sections', 'peers,compression,scaling', ...tiny, '--scaling-connections', '0,50', '--scaling-requests', '50', '--recovery-mib', '1', '--results', results, '--time-limit', '60']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /not available/, r.stdout + r.stderr);
  for (const row of ['redis XADD 100 B, no persistence', 'redis XADD 1024 B, appendonly everysec', 'NATS JetStream 1024 B, file storage', 'kb produce 1024 B, kcat lz4, acks=1', 'kb produce 1024 B, kcat gzip, acks=1']) {
    assert.match(r.stdout, new RegExp(`^${row} .*busy`, 'm'), `a measured row "${row}" with its CPU shares`);
  }
  for (const curve of ['partitions on one node', 'clients on 16 partitions', 'mostly idle connections', 'recovery, 16 partitions']) assert.match(r.stdout, new RegExp(`scaling: ${curve}`));
  assert.match(r.stdout, /\[(reached| not {2})\] 1024 B lz4 ingest/);
  assert.match(r.stdout, /\[(reached| not {2})\] recovery after kill -9/);
  const [scaling] = (await readdir(results)).filter((f) => f.startsWith('scaling-'));
  const files = await readdir(path.join(results, scaling));
  assert.deepEqual(files.sort(), ['clients.json', 'clients.svg', 'connections.json', 'connections.svg', 'partitions.json', 'partitions.svg', 'recovery.json']);
  assert.match(await readFile(path.join(results, scaling, 'partitions.svg'), 'utf8'), /^<svg .*<polyline .*<\/svg>\n$/s);
});
