/**
 * `kb` logging in with SASL (#24), the client side, against a real broker's
 * SASL listeners: SASL_SSL offering SCRAM (SCRAM), SASL_SSL offering PLAIN
 * (PLAINSSL), SASL_PLAINTEXT offering SCRAM-SHA-256 (SCRAM256), and a
 * PLAINTEXT listener (ADMIN) where `kb user create` gives bob a
 * SCRAM-SHA-256 credential; alice is the bootstrap user (SCRAM-SHA-512).
 * SASL_PLAINTEXT SCRAM-SHA-256 through -X with KB_SASL_PASSWORD,
 * SASL_SSL SCRAM-SHA-512 through a kcat-style -F file, SASL_SSL PLAIN
 * through a profile, the password asked for on a TTY; a wrong password
 * and an unknown user fail at once with SASL_AUTHENTICATION_FAILED and the
 * broker's message; a mechanism the listener does not offer is named with
 * those it does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RunningBroker, startBroker } from '../helpers/broker.ts';
import { runKb, runKbTimed } from '../helpers/cli.ts';
import { onPty } from '../helpers/pty.ts';
import { makeTestCa, type TestCa } from '../helpers/tls.ts';
import { repoRoot } from '../helpers/tools.ts';

/** A refused login must come well before the 30 s request timeout. */
const fastMs = 10_000;

let broker: RunningBroker;
let ca: TestCa;
let dir: string;
const address = (listener: string) => broker.listeners.get(listener)!;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kb-cli-sasl-'));
  ca = await makeTestCa();
  const server = await ca.issue('broker');
  broker = await startBroker({
    listen: null,
    args: ['--bootstrap-user', 'alice'],
    env: { KB_BOOTSTRAP_PASSWORD: 'alice secret' },
    sets: {
      listeners: 'SCRAM://127.0.0.1:0,PLAINSSL://127.0.0.1:0,SCRAM256://127.0.0.1:0,ADMIN://127.0.0.1:0',
      'listener.security.protocol.map': 'SCRAM:SASL_SSL,PLAINSSL:SASL_SSL,SCRAM256:SASL_PLAINTEXT,ADMIN:PLAINTEXT',
      'listener.name.plainssl.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.scram256.sasl.enabled.mechanisms': 'SCRAM-SHA-256',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': server.keystore,
    },
  });
  const bob = await runKb(['user', 'create', 'bob,=x', '--mechanism', 'SCRAM-SHA-256', '-b', address('ADMIN')], { env: { KB_PASSWORD: 'b0b' } });
  assert.equal(bob.code, 0, bob.stderr);
});

after(async () => {
  await broker?.stop();
  await ca?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const kb = (args: string[], env: NodeJS.ProcessEnv = {}, input?: string) => runKbTimed(args, { env, input, timeoutMs: 60_000 });

const scram256 = (user: string) => ['-b', address('SCRAM256'), '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=SCRAM-SHA-256', '-X', `sasl.username=${user}`];
const overTls = (listener: string, mechanism: string) => ['-b', address(listener), '-X', 'security.protocol=SASL_SSL', '-X', `sasl.mechanism=${mechanism}`, '-X', `ssl.ca.location=${ca.caPem}`, '-X', 'sasl.username=alice'];

test('SASL_PLAINTEXT SCRAM-SHA-256 through -X and KB_SASL_PASSWORD (a user name with "," and "="): topic create, produce, consume', async () => {
  const env = { KB_SASL_PASSWORD: 'b0b' };
  const created = await kb(['topic', 'create', 'sasl-orders', '--partitions', '2', '--rf', '1', ...scram256('bob,=x')], env);
  assert.equal(created.code, 0, created.stderr);
  const produced = await kb(['produce', 'sasl-orders', ...scram256('bob,=x')], env, 'one\ntwo\nthree\n');
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await kb(['consume', 'sasl-orders', '-e', ...scram256('bob,=x')], env);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.trim().split('\n').sort(), ['one', 'three', 'two']);
});

test('SASL_SSL SCRAM-SHA-512 through a kcat-style -F file with the password', async () => {
  const file = path.join(dir, 'client.conf');
  await writeFile(file, `# kcat style\nsecurity.protocol=sasl_ssl\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=alice\nsasl.password=alice secret\nssl.ca.location=${ca.caPem}\n`);
  const consumed = await kb(['consume', 'sasl-orders', '-e', '-b', address('SCRAM'), '-F', file]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.equal(consumed.stdout.trim().split('\n').length, 3);
});

test('SASL_SSL PLAIN through a profile with --password-file; KB_SASL_PASSWORD overrides its password', async () => {
  const env = { XDG_CONFIG_HOME: path.join(dir, 'config') };
  const passwordFile = path.join(dir, 'alice.pw');
  await writeFile(passwordFile, 'alice secret\n');
  const created = await kb(['profile', 'create', 'sasl', ...overTls('PLAINSSL', 'PLAIN'), '--password-file', passwordFile], env);
  assert.equal(created.code, 0, created.stderr);
  const produced = await kb(['produce', 'sasl-orders'], env, 'four\n');
  assert.equal(produced.code, 0, produced.stderr);
  const listed = await kb(['topic', 'list', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(JSON.parse(listed.stdout).topics.some((t: { name: string }) => t.name === 'sasl-orders'), listed.stdout);
  const wrongFromEnv = await kb(['topic', 'list'], { ...env, KB_SASL_PASSWORD: 'not it' });
  assert.equal(wrongFromEnv.code, 1);
  assert.match(wrongFromEnv.stderr, /SASL_AUTHENTICATION_FAILED/);
});

test('on a TTY, kb asks for a SASL password it has from nowhere else, unechoed', async () => {
  const args = [process.execPath, path.join(repoRoot, 'bin/run.js'), 'topic', 'list', ...overTls('SCRAM', 'SCRAM-SHA-512')];
  const session = onPty(args, { cwd: repoRoot, env: { NO_COLOR: '1', XDG_CONFIG_HOME: path.join(dir, 'none'), KB_SASL_PASSWORD: '' } });
  await session.expect(/SASL password for alice:/);
  session.type('alice secret\r');
  assert.equal(await session.exited, 0, session.output());
  assert.match(session.output(), /sasl-orders/);
  assert.doesNotMatch(session.output(), /alice secret/);
});

test("a wrong password and an unknown user fail at once with SASL_AUTHENTICATION_FAILED and the broker's message; an unoffered mechanism is named", async () => {
  for (const [user, password] of [['bob,=x', 'wrong'], ['mallory', 'b0b']]) {
    const refused = await kb(['topic', 'list', ...scram256(user)], { KB_SASL_PASSWORD: password });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`authentication as "${user}" with SCRAM-SHA-256 to broker 127\\.0\\.0\\.1:\\d+ failed \\(SASL_AUTHENTICATION_FAILED\\): Authentication failed`));
    assert.match(refused.stderr, /Check sasl\.username, sasl\.password and sasl\.mechanism/);
    assert.doesNotMatch(refused.stderr, /no broker reachable|Is the broker running/);
    assert.ok(refused.ms < fastMs, `took ${refused.ms} ms`);
  }
  const unoffered = await kb(['topic', 'list', ...overTls('PLAINSSL', 'SCRAM-SHA-512')], { KB_SASL_PASSWORD: 'alice secret' });
  assert.equal(unoffered.code, 1);
  assert.match(unoffered.stderr, /refused SASL mechanism SCRAM-SHA-512 \(UNSUPPORTED_SASL_MECHANISM\); it offers: PLAIN/);
  const noPassword = await kb(['topic', 'list', ...scram256('bob,=x')]);
  assert.equal(noPassword.code, 2);
  assert.match(noPassword.stderr, /no SASL password for user bob,=x: .*KB_SASL_PASSWORD/);
});
