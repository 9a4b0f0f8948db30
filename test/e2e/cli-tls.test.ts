/**
 * `kb` over TLS (#24), the client side, against a real broker's SSL
 * listeners (certificates of a test CA made by openssl): CA trust through
 * -X, mTLS with an encrypted key through a kcat-style -F file and through a
 * profile, hostname verification (on by default, off with
 * ssl.endpoint.identification.algorithm=none; the OTHER listener is on
 * 127.0.0.2, which the certificate does not name), and the wrong protocol
 * either way failing fast with the setting to change while the broker
 * keeps serving.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RunningBroker, startBroker } from '../helpers/broker.ts';
import { runKbTimed } from '../helpers/cli.ts';
import { type Issued, makeTestCa, type TestCa } from '../helpers/tls.ts';

/** A wrong-protocol or certificate failure must come well before the 30 s request timeout. */
const fastMs = 10_000;

let ca: TestCa;
let client: Issued;
let encryptedClient: Issued;
let broker: RunningBroker;
let dir: string;
const address = (listener: string) => broker.listeners.get(listener)!;

before(async () => {
  ca = await makeTestCa();
  dir = await mkdtemp(path.join(os.tmpdir(), 'kb-cli-tls-'));
  const server = await ca.issue('broker');
  client = await ca.issue('client');
  encryptedClient = await ca.issue('client-enc', { keyPassword: 'key pass' });
  broker = await startBroker({
    listen: null,
    sets: {
      listeners: 'SSL://127.0.0.1:0,MTLS://127.0.0.1:0,OTHER://127.0.0.2:0,PLAIN://127.0.0.1:0',
      'listener.security.protocol.map': 'SSL:SSL,MTLS:SSL,OTHER:SSL,PLAIN:PLAINTEXT',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': server.keystore,
      'ssl.truststore.location': ca.caPem,
      'listener.name.mtls.ssl.client.auth': 'required',
    },
  });
});

after(async () => {
  await broker?.stop();
  await ca?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const timed = (args: string[], env: NodeJS.ProcessEnv = {}, input?: string) => runKbTimed(args, { env, input, timeoutMs: 60_000 });

test('SSL with the CA through -X: kb trusts the broker; without the CA it refuses at once, naming ssl.ca.location', async () => {
  const ok = await timed(['topic', 'list', '-b', address('SSL'), '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca.caPem}`]);
  assert.equal(ok.code, 0, ok.stderr);
  const untrusted = await timed(['topic', 'list', '-b', address('SSL'), '-X', 'security.protocol=SSL']);
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.stderr, /certificate of broker 127\.0\.0\.1:\d+ is not trusted .*set ssl\.ca\.location/);
  assert.ok(untrusted.ms < fastMs, `took ${untrusted.ms} ms`);
});

test('hostname verification is on by default: a certificate for another name is refused; ssl.endpoint.identification.algorithm=none lets it pass', async () => {
  const trust = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca.caPem}`];
  const mismatch = await timed(['topic', 'list', '-b', address('OTHER'), ...trust]);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /certificate of broker 127\.0\.0\.2:\d+ is not issued for that name .*ssl\.endpoint\.identification\.algorithm=none/);
  assert.ok(mismatch.ms < fastMs, `took ${mismatch.ms} ms`);
  const unchecked = await timed(['topic', 'list', '-b', address('OTHER'), ...trust, '-X', 'ssl.endpoint.identification.algorithm=none']);
  assert.equal(unchecked.code, 0, unchecked.stderr);
});

test('mTLS with an encrypted key through a kcat-style -F file: topic create, produce and consume; without a client certificate it fails at once', async () => {
  const file = path.join(dir, 'kcat.conf');
  await writeFile(
    file,
    [
      '# a kcat config file, as is',
      'security.protocol=ssl',
      `ssl.ca.location=${ca.caPem}`,
      '',
      `ssl.certificate.location = ${encryptedClient.cert}`,
      `ssl.key.location=${encryptedClient.key}`,
      'ssl.key.password=key pass',
    ].join('\n'),
  );
  const viaFile = ['-b', address('MTLS'), '-F', file];
  const created = await timed(['topic', 'create', 'tls-orders', '--partitions', '2', '--rf', '1', ...viaFile]);
  assert.equal(created.code, 0, created.stderr);
  const produced = await timed(['produce', 'tls-orders', '-K', ':', ...viaFile], {}, 'k1:one\nk2:two\nk3:three\n');
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await timed(['consume', 'tls-orders', '-e', '-f', '%k=%v\\n', ...viaFile]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.trim().split('\n').sort(), ['k1=one', 'k2=two', 'k3=three']);

  const noCertificate = await timed(['topic', 'list', '-b', address('MTLS'), '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca.caPem}`]);
  assert.equal(noCertificate.code, 1);
  assert.match(noCertificate.stderr, /requires a client certificate.*ssl\.certificate\.location and ssl\.key\.location/);
  assert.ok(noCertificate.ms < fastMs, `took ${noCertificate.ms} ms`);

  const wrongKeyPassword = await timed(['topic', 'list', ...viaFile.slice(0, 2), '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca.caPem}`, '-X', `ssl.certificate.location=${encryptedClient.cert}`, '-X', `ssl.key.location=${encryptedClient.key}`]);
  assert.equal(wrongKeyPassword.code, 1);
  assert.match(wrongKeyPassword.stderr, /cannot read the private key .*set ssl\.key\.password/);
  const keyPasswordOnArgv = await timed(['topic', 'list', '-b', address('MTLS'), '-X', 'ssl.key.password=key pass']);
  assert.equal(keyPasswordOnArgv.code, 2);
  assert.match(keyPasswordOnArgv.stderr, /-X ssl\.key\.password is refused: .*-F/);
});

test('a profile holds mTLS settings: kb profile create, then plain `kb topic list` uses it; KB_PROFILE and --profile choose', async () => {
  const env = { XDG_CONFIG_HOME: path.join(dir, 'config') };
  const trust = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca.caPem}`];
  const relative = path.relative(path.join(import.meta.dirname, '../..'), client.key); // kb runs from the repo root
  const created = await timed(['profile', 'create', 'secure', '-b', address('MTLS'), ...trust, '-X', `ssl.certificate.location=${client.cert}`, '-X', `ssl.key.location=${relative}`], env);
  assert.equal(created.code, 0, created.stderr);
  const shown = await timed(['profile', 'show', '--json'], env);
  assert.equal(JSON.parse(shown.stdout).config['ssl.key.location'], client.key, 'file paths are stored absolute');
  const listed = await timed(['topic', 'list', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(JSON.parse(listed.stdout).topics.some((t: { name: string }) => t.name === 'tls-orders'), listed.stdout);

  assert.equal((await timed(['profile', 'create', 'plain', '-b', address('SSL')], env)).code, 0);
  const plain = await timed(['topic', 'list'], env);
  assert.equal(plain.code, 1, 'the plain profile is in use now: plaintext to a TLS port');
  const chosen = await Promise.all([timed(['topic', 'list'], { ...env, KB_PROFILE: 'secure' }), timed(['topic', 'list', '--profile', 'secure'], env)]);
  for (const r of chosen) assert.equal(r.code, 0, r.stderr);
  const overridden = await timed(['topic', 'list', '--profile', 'secure', '-b', address('SSL')], env);
  assert.equal(overridden.code, 0, `-b overrides the profile's brokers, its TLS settings stay: ${overridden.stderr}`);
});

test('the wrong protocol either way fails at once naming the setting, and the broker keeps serving', async () => {
  const tlsToPlaintext = await timed(['topic', 'list', '-b', address('PLAIN'), '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca.caPem}`]);
  assert.equal(tlsToPlaintext.code, 1);
  assert.match(tlsToPlaintext.stderr, /closed the connection during the TLS handshake: if it is a plaintext listener, connect with security\.protocol=PLAINTEXT/);
  assert.ok(tlsToPlaintext.ms < fastMs, `took ${tlsToPlaintext.ms} ms`);

  const plaintextToTls = await timed(['topic', 'list', '-b', address('SSL')]);
  assert.equal(plaintextToTls.code, 1);
  assert.match(plaintextToTls.stderr, /without answering ApiVersions: if it is a TLS listener, connect with security\.protocol=SSL/);
  assert.ok(plaintextToTls.ms < fastMs, `took ${plaintextToTls.ms} ms`);

  const stillServing = await timed(['topic', 'list', '-b', address('PLAIN')]);
  assert.equal(stillServing.code, 0, stillServing.stderr);
});
