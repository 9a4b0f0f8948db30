/**
 * `kb` logging in with SASL (#24), the client side, over real sockets: a
 * real broker behind a SASL gateway (test/helpers/sasl-gateway.ts: kb's
 * own server mechanisms answer SaslHandshake and SaslAuthenticate, then the
 * connection is piped to the broker, which advertises the gateway), until
 * the broker's listeners speak SASL themselves. SASL_PLAINTEXT
 * SCRAM-SHA-256 through -X with KB_SASL_PASSWORD, SCRAM-SHA-512 through a
 * -F file, PLAIN through a profile, SASL_SSL SCRAM-SHA-512 through a
 * profile (the gateway speaking TLS with a test CA's certificate); a wrong password and an unknown user fail at once with
 * SASL_AUTHENTICATION_FAILED and the broker's message; a mechanism the
 * broker does not offer is named with those it does.
 */
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RunningBroker, startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { onPty } from '../helpers/pty.ts';
import { repoRoot } from '../helpers/tools.ts';
import { makeTestCa, type TestCa } from '../helpers/tls.ts';
import { type SaslGateway, startSaslGateway } from '../helpers/sasl-gateway.ts';

/** A refused login must come well before the 30 s request timeout. */
const fastMs = 10_000;

let broker: RunningBroker;
let gateway: SaslGateway;
let tlsGateway: SaslGateway;
let ca: TestCa;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kb-cli-sasl-'));
  gateway = await startSaslGateway(() => broker.port, { alice: 'alice secret', 'bob,=x': 'b0b' }, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
  ca = await makeTestCa();
  const server = await ca.issue('gateway');
  const serverTls = { key: await readFile(server.key), cert: await readFile(server.cert) };
  tlsGateway = await startSaslGateway(() => broker.port, { alice: 'alice secret' }, ['SCRAM-SHA-512'], { tls: serverTls });
  broker = await startBroker({ args: ['--advertised-listener', gateway.address] });
});

after(async () => {
  gateway?.close();
  tlsGateway?.close();
  await ca?.remove();
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function kb(args: string[], env: NodeJS.ProcessEnv = {}, input?: string) {
  const started = Date.now();
  const result = await runKb(args, { env, input, timeoutMs: 60_000 });
  return { ...result, ms: Date.now() - started };
}

const scram256 = (user: string) => ['-b', gateway.address, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=SCRAM-SHA-256', '-X', `sasl.username=${user}`];

test('SASL_PLAINTEXT SCRAM-SHA-256 through -X and KB_SASL_PASSWORD: topic create, produce, consume', async () => {
  const env = { KB_SASL_PASSWORD: 'alice secret' };
  const created = await kb(['topic', 'create', 'sasl-orders', '--partitions', '2', '--rf', '1', ...scram256('alice')], env);
  assert.equal(created.code, 0, created.stderr);
  const produced = await kb(['produce', 'sasl-orders', ...scram256('alice')], env, 'one\ntwo\nthree\n');
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await kb(['consume', 'sasl-orders', '-e', ...scram256('alice')], env);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.trim().split('\n').sort(), ['one', 'three', 'two']);
});

test('SCRAM-SHA-512 through a -F file with the password (a user name with "," and "=")', async () => {
  const file = path.join(dir, 'client.conf');
  await writeFile(file, '# kcat style\nsecurity.protocol=sasl_plaintext\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=bob,=x\nsasl.password=b0b\n');
  const listed = await kb(['topic', 'list', '--json', '-b', gateway.address, '-F', file]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(JSON.parse(listed.stdout).topics.some((t: { name: string }) => t.name === 'sasl-orders'), listed.stdout);
});

test('PLAIN through a profile with --password-file', async () => {
  const env = { XDG_CONFIG_HOME: path.join(dir, 'config') };
  const passwordFile = path.join(dir, 'alice.pw');
  await writeFile(passwordFile, 'alice secret\n');
  const created = await kb(['profile', 'create', 'sasl', '-b', gateway.address, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=PLAIN', '-X', 'sasl.username=alice', '--password-file', passwordFile], env);
  assert.equal(created.code, 0, created.stderr);
  const consumed = await kb(['consume', 'sasl-orders', '-e'], env);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.equal(consumed.stdout.trim().split('\n').length, 3);
  const wrongFromEnv = await kb(['topic', 'list'], { ...env, KB_SASL_PASSWORD: 'not it' });
  assert.equal(wrongFromEnv.code, 1, 'KB_SASL_PASSWORD overrides the profile\'s password');
});

test('on a TTY, kb asks for a SASL password it has from nowhere else, unechoed', async () => {
  const session = onPty([process.execPath, path.join(repoRoot, 'bin/run.js'), 'topic', 'list', ...scram256('alice')], { cwd: repoRoot, env: { NO_COLOR: '1', XDG_CONFIG_HOME: path.join(dir, 'none'), KB_SASL_PASSWORD: '' } });
  await session.expect(/SASL password for alice:/);
  session.type('alice secret\r');
  assert.equal(await session.exited, 0, session.output());
  assert.match(session.output(), /sasl-orders/);
  assert.doesNotMatch(session.output(), /alice secret/);
});

test('SASL_SSL SCRAM-SHA-512 through a profile: the CA trusted, the login over TLS', async () => {
  const env = { XDG_CONFIG_HOME: path.join(dir, 'config-ssl') };
  const passwordFile = path.join(dir, 'alice-ssl.pw');
  await writeFile(passwordFile, 'alice secret\n');
  const settings = ['-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanism=SCRAM-SHA-512', '-X', 'sasl.username=alice', '-X', `ssl.ca.location=${ca.caPem}`];
  const created = await kb(['profile', 'create', 'sasl-ssl', '-b', tlsGateway.address, ...settings, '--password-file', passwordFile], env);
  assert.equal(created.code, 0, created.stderr);
  const listed = await kb(['topic', 'list', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(JSON.parse(listed.stdout).topics.some((t: { name: string }) => t.name === 'sasl-orders'), listed.stdout);
  const wrong = await kb(['topic', 'list'], { ...env, KB_SASL_PASSWORD: 'wrong' });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /SASL_AUTHENTICATION_FAILED/);
});

test('a wrong password and an unknown user fail at once with SASL_AUTHENTICATION_FAILED and the broker\'s message; an unoffered mechanism is named', async (t) => {
  for (const [user, password] of [['alice', 'wrong'], ['mallory', 'alice secret']]) {
    const refused = await kb(['topic', 'list', ...scram256(user)], { KB_SASL_PASSWORD: password });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`authentication as "${user}" with SCRAM-SHA-256 to broker 127\\.0\\.0\\.1:\\d+ failed \\(SASL_AUTHENTICATION_FAILED\\): Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256`));
    assert.match(refused.stderr, /Check sasl\.username, sasl\.password and sasl\.mechanism/);
    assert.doesNotMatch(refused.stderr, /no broker reachable|Is the broker running/);
    assert.ok(refused.ms < fastMs, `took ${refused.ms} ms`);
  }
  const only512 = await startSaslGateway(() => broker.port, { alice: 'alice secret' }, ['SCRAM-SHA-512']);
  t.after(() => only512.close());
  const unoffered = await kb(['topic', 'list', '-b', only512.address, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=PLAIN', '-X', 'sasl.username=alice'], { KB_SASL_PASSWORD: 'alice secret' });
  assert.equal(unoffered.code, 1);
  assert.match(unoffered.stderr, /refused SASL mechanism PLAIN \(UNSUPPORTED_SASL_MECHANISM\); it offers: SCRAM-SHA-512/);
  const noPassword = await kb(['topic', 'list', ...scram256('alice')]);
  assert.equal(noPassword.code, 2);
  assert.match(noPassword.stderr, /no SASL password for user alice: .*KB_SASL_PASSWORD/);
});
