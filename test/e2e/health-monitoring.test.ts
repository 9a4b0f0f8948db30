/**
 * `kb health` as a monitoring plugin and a wait-for-ready tool, through the
 * real CLI: --timeout in seconds by default (10 s when not given), with
 * units; --exit-when-healthy (with --watch implied) waits through UNKNOWN
 * until a broker that starts later is OK, printing each new verdict once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/tools.ts';
import { freePorts } from '../../src/cli/local-cluster/ports.ts';

/** A listener that accepts connections and never answers (a stalled process). */
async function silentListener(t: { after(fn: () => void): void }): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

test('--timeout: 10 s by default, a bare number is seconds, units accepted, anything else UNKNOWN', { timeout: 90_000 }, async (t) => {
  const silent = await silentListener(t);
  const timed = async (args: string[]) => {
    const started = Date.now();
    const result = await runKb(['health', '-b', silent, ...args], { timeoutMs: 60_000 });
    return { ...result, elapsedMs: Date.now() - started };
  };
  const [byDefault, bare, withUnit] = await Promise.all([timed([]), timed(['--timeout', '2']), timed(['--timeout', '1500ms'])]);
  assert.equal(byDefault.code, 3, byDefault.stdout + byDefault.stderr);
  assert.equal(byDefault.stdout, 'UNKNOWN: no answer within --timeout 10 s\n');
  assert.ok(byDefault.elapsedMs >= 10_000 && byDefault.elapsedMs < 40_000, `default timeout took ${byDefault.elapsedMs} ms`);
  assert.equal(bare.stdout, 'UNKNOWN: no answer within --timeout 2 s\n');
  assert.ok(bare.elapsedMs >= 2_000 && bare.elapsedMs < 30_000, `--timeout 2 took ${bare.elapsedMs} ms`);
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
