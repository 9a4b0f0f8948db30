/**
 * kb profile create|use|list|show|delete (no broker needed): the lifecycle
 * in a config dir of the test's own, the password prompted for on a TTY and
 * stored (never shown), and the refusals: a password as a flag, an existing
 * name, deleting without --yes off a TTY.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runKb } from '../helpers/cli.ts';
import { onPty } from '../helpers/pty.ts';
import { repoRoot } from '../helpers/tools.ts';

let dir: string;
let env: NodeJS.ProcessEnv;
const kb = (args: string[]) => runKb(args, { env });

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kb-profile-'));
  env = { XDG_CONFIG_HOME: dir };
});
after(() => rm(dir, { recursive: true, force: true }));

const sasl = ['-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanism=SCRAM-SHA-512', '-X', 'sasl.username=alice'];

test('on a TTY, kb profile create asks for the SASL password and stores it, hidden from kb profile show', async () => {
  const session = onPty([process.execPath, path.join(repoRoot, 'bin/run.js'), 'profile', 'create', 'prod', '-b', 'kafka1:9093', ...sasl], { env: { ...env, NO_COLOR: '1' }, cwd: repoRoot });
  await session.expect(/SASL password for alice:/);
  session.type('typed secret\r');
  assert.equal(await session.exited, 0, session.output());
  assert.doesNotMatch(session.output(), /typed secret/, 'the password is not echoed');
  const stored = JSON.parse(await readFile(path.join(dir, 'kb', 'profiles.json'), 'utf8'));
  assert.equal(stored.profiles.prod.config['sasl.password'], 'typed secret');
  assert.equal(stored.current, 'prod');

  const shown = await kb(['profile', 'show']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.stdout, 'bootstrap.servers=kafka1:9093\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=alice\nsasl.password=<hidden>\n');
});

test('profiles: create more, use, list, delete; refusals', async () => {
  const noTty = await kb(['profile', 'create', 'ci', '-b', 'kafka1:9093', ...sasl]);
  assert.equal(noTty.code, 0, noTty.stderr);
  assert.match(noTty.stderr, /no SASL password stored: commands will take it from KB_SASL_PASSWORD or ask on a terminal/);
  assert.equal((await kb(['profile', 'create', 'dev', '-X', 'bootstrap.servers=127.0.0.1:9092'])).code, 0);
  assert.equal((await kb(['profile', 'show', 'dev'])).stdout, 'bootstrap.servers=127.0.0.1:9092\n', 'a bootstrap.servers setting is the profile\'s brokers');

  const listed = JSON.parse((await kb(['profile', 'list', '--json'])).stdout);
  assert.deepEqual(
    listed.profiles.map((p: { name: string; current: boolean; securityProtocol: string }) => [p.name, p.current, p.securityProtocol]),
    [['prod', false, 'SASL_SSL'], ['ci', false, 'SASL_SSL'], ['dev', true, 'PLAINTEXT']],
  );
  assert.equal((await kb(['profile', 'use', 'prod'])).code, 0);
  assert.equal(JSON.parse((await kb(['profile', 'show', '--json'])).stdout).name, 'prod');

  const exists = await kb(['profile', 'create', 'dev']);
  assert.equal(exists.code, 1);
  assert.match(exists.stderr, /profile dev exists already/);
  const password = await kb(['profile', 'create', 'x', '-X', 'sasl.password=oops']);
  assert.equal(password.code, 2);
  assert.match(password.stderr, /-X sasl\.password is refused/);
  const unknown = await kb(['profile', 'use', 'nope']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no profile named nope: there are prod, ci, dev/);

  const unconfirmed = await kb(['profile', 'delete', 'prod']);
  assert.equal(unconfirmed.code, 2, 'no TTY and no --yes');
  assert.equal((await kb(['profile', 'delete', 'prod', '--yes'])).code, 0);
  const after = JSON.parse((await kb(['profile', 'list', '--json'])).stdout);
  assert.deepEqual(after.profiles.map((p: { name: string }) => p.name), ['ci', 'dev']);
  assert.ok(after.profiles.every((p: { current: boolean }) => !p.current), 'deleting the profile in use leaves none in use');
});
