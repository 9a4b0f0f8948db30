/**
 * The latency section of the bench (bench/latency.ts), a smoke run with
 * tiny counts: both setups and both load generators run end to end over
 * real brokers and print their rows, and the goal lines and the JSON
 * results are written. No figure is asserted (benchmarks measure them).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireTool, tools } from '../helpers/tools.ts';

test('npm run bench -- latency runs both setups with both clients and prints the table and the goals', async (t) => {
  if (!requireTool(t, tools.kcat) || !requireTool(t, tools.confluentKafka)) return;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-latency-smoke-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const args = ['latency', '--seconds', '0.3', '--warmup', '0', '--max-records', '500', '--fractions', '0.5', '--dir', dir, '--results', dir, '--time-limit', '60'];
  const r = await promisify(execFile)(process.execPath, [path.join(import.meta.dirname, '../../bench/run.ts'), ...args], { timeout: 120_000 });
  for (const setup of ['single node, acks=1', '3 nodes rf=3, acks=all']) {
    for (const client of ['kb', 'librdkafka']) assert.match(r.stdout, new RegExp(`^${setup}\\s+50% of \\d+\\s+\\d+\\s+${client}\\s+[\\d.]+ / [\\d.]+ / [\\d.]+ / [\\d.]+\\s+[\\d.]+ / `, 'm'));
  }
  assert.match(r.stdout, /\[(reached| not {2})\] single node, acks=1, 50% load, kb: produce p99 <= 5 ms: [\d.]+ ms/);
  assert.match(r.stdout, /\[(reached| not {2})\] 3 nodes rf=3, acks=all, 50% load, librdkafka: end-to-end p99 <= 20 ms: [\d.]+ ms/);
  const [file] = (await readdir(dir)).filter((f) => f.startsWith('latency-') && f.endsWith('.json'));
  const saved = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
  assert.equal(saved.results['3 nodes rf=3, acks=all'].runs.length, 2);
});
