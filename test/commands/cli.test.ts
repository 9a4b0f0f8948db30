import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, cp, symlink } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { runKb } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/tools.ts';

test('kb --version names the package version and Node 24', async () => {
  const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8'));
  const { code, stdout } = await runKb(['--version']);
  assert.equal(code, 0);
  assert.match(stdout, new RegExp(`^kb/${pkg.version.replaceAll('.', '\\.')} `));
  assert.match(stdout, /node-v24\./);
});

test('kb --help lists the commands of the explicit command map', async () => {
  const { code, stdout } = await runKb(['--help']);
  assert.equal(code, 0);
  assert.match(stdout, /USAGE\s+\$ kb \[COMMAND\]/);
});

test('the tests run on the pinned Node 24', () => {
  assert.equal(process.versions.node.split('.')[0], '24');
});

test('oclif.manifest.json is current (run `npm run manifest` after changing a command)', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-manifest-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
  for (const entry of ['bin', 'src', 'node_modules']) await symlink(path.join(repoRoot, entry), path.join(dir, entry));
  const oclif = path.join(repoRoot, 'node_modules/oclif/bin/run.js');
  const result = spawnSync(process.execPath, [oclif, 'manifest'], { cwd: dir, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const fresh = JSON.parse(await readFile(path.join(dir, 'oclif.manifest.json'), 'utf8'));
  const committed = JSON.parse(await readFile(path.join(repoRoot, 'oclif.manifest.json'), 'utf8'));
  assert.deepEqual(committed, fresh);
});

test("the README's `npm run kb -- ...` entry point runs the CLI", () => {
  const result = spawnSync('npm', ['run', '--silent', 'kb', '--', '--version'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^kb\/\d+\.\d+\.\d+ .*node-v24\./m);
});
