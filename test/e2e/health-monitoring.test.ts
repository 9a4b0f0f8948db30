/**
 * `kb health` as a monitoring plugin and a wait-for-ready tool, through the
 * real CLI: --timeout in seconds by default (10 s when not given), with
 * units; --exit-when-healthy (with --watch implied) waits through UNKNOWN
 * until a broker that starts later is OK, printing each new verdict once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startBroker } from '../helpers/broker.ts';
import { runKb, runKbTimed } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/tools.ts';
import { silentListener } from '../helpers/silent-listener.ts';
import { freePorts } from '../../src/cli/local-cluster/ports.ts';

test('--timeout: 10 s by default, a bare number is seconds, units accepted, anything else UNKNOWN', { timeout: 90_000 }, async (t) => {
  const silent = (await silentListener(t)).address;
  const timed = (args: string[]) => runKbTimed(['health', '-b', silent, ...args], { timeoutMs: 60_000 });
  const [byDefault, bare, withUnit] = await Promise.all([timed([]), timed(['--timeout', '2']), timed(['--timeout', '1500ms'])]);
  assert.equal(byDefault.code, 3, byDefault.stdout + byDefault.stderr);
  assert.equal(byDefault.stdout, 'UNKNOWN: no answer within --timeout 10 s\n');
  assert.ok(byDefault.ms >= 10_000 && byDefault.ms < 40_000, `default timeout took ${byDefault.ms} ms`);
  assert.equal(bare.stdout, 'UNKNOWN: no answer within --timeout 2 s\n');
  assert.ok(bare.ms >= 2_000 && bare.ms < 30_000, `--timeout 2 took ${bare.ms} ms`);
  assert.equal(withUnit.stdout, 'UNKNOWN: no answer within --timeout 1.5 s\n');
  const bad = await runKb(['health', '-b', silent, '--timeout', '10x']);
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /^UNKNOWN: .*10x: expected a duration such as 10 \(seconds\), 10s, 500ms/);
});

test('--exit-when-healthy waits through UNKNOWN for a broker that starts later, then exits 0 once OK', { timeout: 90_000 }, async (t) => {
  const [port] = await freePorts('127.0.0.1', 1);
  const address = `127.0.0.1:${port}`;
  const watcher = spawn(process.execPath, [path.join(repoRoot, 'bin/run.js'), 'health', '--exit-when-healthy', '-b', address, '--timeout', '1s'], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  watcher.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  watcher.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => watcher.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (watcher.exitCode === null && watcher.signalCode === null) watcher.kill('SIGKILL');
    await exited;
  });
  // The first verdict, before any broker runs.
  const deadline = Date.now() + 30_000;
  while (!out.includes('\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.match(out, /^UNKNOWN: /, out);
  const broker = await startBroker({ listen: address });
  t.after(() => broker.stop());
  const code = await Promise.race([exited, new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 45_000))]);
  assert.equal(code, 0, `exit once OK:\n${out}`);
  const lines = out.trim().split('\n');
  assert.match(lines[0], /^UNKNOWN: /);
  assert.equal(lines.filter((l) => l === lines[0]).length, 1, `an unchanged verdict is printed once:\n${out}`);
  assert.match(lines.at(-1)!, /^OK: 1 broker\(s\), \d+ topic\(s\), \d+ partition\(s\) \| brokers_up=1 /);
});
