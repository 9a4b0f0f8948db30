/**
 * The single executable. Its build prints nothing but the result line (no
 * tool chatter, no warnings from postject's ELF library). Smoke test:
 * builds dist/kb (`npm run build:binary`) unless it is newer than every
 * source, then, from an empty
 * directory with a PATH on which no `node` can be found (only sh, head and
 * wc), starts a broker from it and creates, produces, consumes, copies a
 * topic through a `kb | kb` pipe and checks health, all through dist/kb;
 * then `kb console` from it serves its embedded UI and its API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeRun, run } from '../helpers/process.ts';
import { startConsole } from '../helpers/console.ts';
import { repoRoot } from '../helpers/tools.ts';

const binary = path.join(repoRoot, 'dist/kb');
const inputs = ['src', 'scripts/build-binary.ts', 'package.json', 'package-lock.json'];

async function newestMtime(entry: string): Promise<number> {
  const info = await stat(entry);
  if (!info.isDirectory()) return info.mtimeMs;
  const children = await readdir(entry);
  return Math.max(info.mtimeMs, ...(await Promise.all(children.map((c) => newestMtime(path.join(entry, c))))));
}

async function ensureFreshBinary(): Promise<void> {
  const built = await stat(binary).then((s) => s.mtimeMs, () => 0);
  const sources = Math.max(...(await Promise.all(inputs.map((i) => newestMtime(path.join(repoRoot, i))))));
  if (built > sources) return;
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build-binary.ts')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(result.status, 0, `npm run build:binary failed:\n${result.stderr}`);
}

test('npm run build:binary prints only the console UI size and the line naming what it built', { timeout: 120_000 }, async () => {
  const build = await run('npm', ['--prefix', repoRoot, 'run', '-s', 'build:binary'], { timeoutMs: 110_000 });
  assert.equal(build.code, 0, describeRun(build));
  assert.equal(build.stderr, '', describeRun(build));
  const [, uiKiB] = /^console UI: (\d+\.\d) KiB gzipped\nbuilt dist\/kb \(\d+\.\d MiB\)\n$/.exec(build.stdout) ?? assert.fail(describeRun(build));
  assert.ok(Number(uiKiB) < 300, `the console UI is ${uiKiB} KiB gzipped, over 300`);
});

test('dist/kb runs the broker and the CLI with no Node on the machine', { timeout: 120_000 }, async (t) => {
  await ensureFreshBinary();
  const home = await mkdtemp(path.join(os.tmpdir(), 'kb-binary-smoke-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const tools = path.join(home, 'tools');
  const cwd = path.join(home, 'empty');
  await mkdir(tools);
  await mkdir(cwd);
  for (const tool of ['sh', 'head', 'wc']) await symlink(`/usr/bin/${tool}`, path.join(tools, tool));
  await symlink(binary, path.join(tools, 'kb'));
  const noNode = await run('/usr/bin/env', ['-i', `PATH=${tools}`, '/usr/bin/sh', '-c', 'command -v node || echo none']);
  assert.equal(noNode.stdout.trim(), 'none', 'the smoke PATH must not reach any node');

  const broker = spawn('/usr/bin/env', ['-i', `PATH=${tools}`, `HOME=${home}`, 'kb', 'broker', 'start', '--listen', '127.0.0.1:0', '--data-dir', 'data'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => broker.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (broker.exitCode === null && broker.signalCode === null) broker.kill('SIGKILL');
    await exited;
  });
  let log = '';
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the broker did not start:\n${log}`)), 20_000);
    broker.stderr!.setEncoding('utf8').on('data', (d: string) => {
      log += d;
      const match = /listening on CLIENT:\/\/([\d.]+:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    broker.once('exit', (code) => reject(new Error(`the broker exited (${code}):\n${log}`)));
  });

  const script = [
    'set -e',
    'kb --version',
    'kb topic create smoke --partitions 2',
    'kb topic create smoke-copy --partitions 2',
    "printf 'k1:v1\\nk2:v2\\nk3:v3\\n' | kb produce smoke -K : -H via=binary",
    "kb consume smoke -e -f '%k=%v %h\\n' | head -3",
    'kb consume smoke --json -e | kb produce smoke-copy --json',
    'kb consume smoke-copy -e | wc -l',
    'kb health',
  ].join('\n');
  const smoke = await run('/usr/bin/env', ['-i', `PATH=${tools}`, `HOME=${home}`, `KB_BROKERS=${address}`, 'NO_COLOR=1', 'sh', '-c', `cd '${cwd}' && ${script}`]);
  assert.equal(smoke.code, 0, describeRun(smoke));
  const lines = smoke.stdout.trim().split('\n');
  assert.match(lines[0], /^kb\/\d+\.\d+\.\d+ linux-x64 node-v24\./);
  assert.deepEqual(lines.slice(1, 3), ['created topic smoke with 2 partition(s)', 'created topic smoke-copy with 2 partition(s)']);
  assert.deepEqual(lines.slice(3, 6).sort(), ['k1=v1 via=binary', 'k2=v2 via=binary', 'k3=v3 via=binary']);
  assert.equal(lines[6].trim(), '3');
  assert.match(lines[7], /^OK: 1 broker\(s\)/);
  assert.deepEqual(await readdir(cwd), ['data'], 'the binary wrote nothing but the data dir into its cwd');

  const console_ = await startConsole({ brokers: address, command: ['/usr/bin/env', '-i', `PATH=${tools}`, `HOME=${home}`, 'kb'] });
  t.after(() => console_.stop());
  const page = await fetch(console_.url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script defer src="\/ui.js">/);
  assert.match(await (await fetch(new URL('ui.js', console_.url))).text(), /kb console/, 'the embedded UI bundle');
  assert.equal((await console_.api('overview')).body.health.status, 'OK', console_.log());
  await console_.stop();

  broker.kill('SIGTERM');
  assert.equal(await exited, 0, log);
  assert.match(log, /stopped cleanly/);
  assert.match(log, /batch checksums: CRC-32C native/, 'the embedded CRC-32C addon loads from the binary');
  assert.match(log, /snappy batches: decoded native/, 'the embedded snappy addon loads from the binary');
});
