/**
 * What README's first lines promise a new user: `npm link` (after `npm ci`)
 * puts a `kb` on the PATH that runs on the pinned Node 24 even when the
 * system's `node` (first on the PATH) is older (`npm run -s kb -- ...`:
 * test/commands/cli.test.ts); `bin/run.js` started
 * by an older Node says which Node it needs instead of a SyntaxError; the
 * README links nothing outside the repository and says how to run one test
 * file. The system Node (Debian's nodejs, 20 on these machines) plays the
 * older Node; the link goes to a temporary npm prefix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeRun, run } from '../helpers/process.ts';
import { repoRoot } from '../helpers/tools.ts';

const systemNode = '/usr/bin/node';
/** A PATH whose `node` is the system's, not the pinned Node 24. */
const systemPath = '/usr/bin:/bin';

test('bin/run.js on an older Node names the Node it needs and how to get it, exit 1', async () => {
  assert.ok(existsSync(systemNode), `${systemNode} is missing: this test needs the system Node (apt-get install nodejs)`);
  const version = await run(systemNode, ['--version']);
  const major = Number(/^v(\d+)\./.exec(version.stdout)?.[1]);
  assert.ok(major < 24, `the system Node must be older than 24 to play the old Node (found ${version.stdout.trim()})`);
  const result = await run(systemNode, [path.join(repoRoot, 'bin/run.js'), 'topic', 'list']);
  assert.equal(result.code, 1, describeRun(result));
  assert.equal(result.stdout, '');
  assert.match(result.stderr, new RegExp(`^kb needs Node 24 \\(found ${major}\\): run it through npm \\(npm run -s kb -- ARGS`), describeRun(result));
  assert.doesNotMatch(result.stderr, /SyntaxError|at /);
});

test('npm link puts a kb on the PATH that runs on Node 24 while the system node comes first', { timeout: 120_000 }, async (t) => {
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'kb-npm-prefix-'));
  t.after(() => rm(prefix, { recursive: true, force: true }));
  const env = { PATH: systemPath, NPM_CONFIG_PREFIX: prefix };
  const link = await run('/usr/bin/env', ['-C', repoRoot, 'npm', 'link', '--offline', '--no-audit', '--no-fund'], { env, timeoutMs: 110_000 });
  assert.equal(link.code, 0, describeRun(link));
  const kb = path.join(prefix, 'bin/kb');
  const version = await run('/usr/bin/env', [`PATH=${path.dirname(kb)}:${systemPath}`, 'kb', '--version'], { env });
  assert.equal(version.code, 0, describeRun(version));
  assert.match(version.stdout, /^kb\/\d+\.\d+\.\d+ linux-x64 node-v24\./, describeRun(version));
});

test('README links nothing outside the repository and says how to run one test file', async () => {
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  assert.doesNotMatch(readme, /\.\.\/shared/);
  assert.match(readme, /npx node --test test\/\S+\.test\.ts/);
  assert.match(readme, /^npm ci && npm link && kb broker start .*\nnpm test /m, "README leads with the command that installs and starts, then the one that tests");
  for (const [, target] of readme.matchAll(/\]\(([^)#]+)[^)]*\)/g)) {
    if (!/^https?:/.test(target)) assert.ok(existsSync(path.join(repoRoot, target)), `README links ${target}, which is not in the repository`);
  }
});
