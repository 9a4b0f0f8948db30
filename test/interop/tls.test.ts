/**
 * SSL listeners against real clients (#24), with a CA made by openssl: one
 * `kb broker start` with three listeners, SSL (no client certificate),
 * MTLS (ssl.client.auth=required) and PLAIN (PLAINTEXT). kcat,
 * confluent-kafka, kafka-python, kafkajs and @platformatic/kafka each
 * produce and consume over SSL and over mTLS. A plaintext client on a TLS
 * port and a TLS client on the plaintext port fail fast with an error that
 * says so, the broker logs why, and keeps serving. A client without a
 * certificate cannot use the MTLS listener. Certificates rotate without a
 * restart: a new keystore file (with another expiry) is served to the next
 * connection, a broken one is logged and the current certificate kept. A
 * missing keystore is a start error without a stack trace.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import tls from 'node:tls';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { kcat, kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { runPythonScript } from '../helpers/python.ts';
import { fetchAll } from '../helpers/platformatic.ts';
import { kafkajsGroupRoundTrip, platformaticGroupRead } from '../helpers/group-round-trips.ts';
import { uniqueTopic, withTimeout } from '../helpers/records.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { makeTestCa, openssl, type Issued, type TestCa } from '../helpers/tls.ts';

let ca: TestCa;
let server: Issued;
let client: Issued;
let broker: RunningBroker;

before(async () => {
  ca = await makeTestCa();
  server = await ca.issue('server');
  client = await ca.issue('client');
  broker = await startBroker({
    listen: null,
    sets: {
      listeners: 'SSL://127.0.0.1:0,MTLS://127.0.0.1:0,PLAIN://127.0.0.1:0',
      'listener.security.protocol.map': 'SSL:SSL,MTLS:SSL,PLAIN:PLAINTEXT',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': server.keystore,
      'ssl.truststore.location': ca.caPem,
      'listener.name.mtls.ssl.client.auth': 'required',
      'group.initial.rebalance.delay.ms': 0,
    },
  });
});
after(async () => {
  await broker?.stop();
  await ca?.remove();
});

type Mode = 'SSL' | 'MTLS';
const modes: Mode[] = ['SSL', 'MTLS'];
const address = (listener: string) => broker.listeners.get(listener)!;
const values = (what: string) => Array.from({ length: 5 }, (_, i) => `${what} ${i}`);

/** librdkafka's settings for `mode`. */
function librdkafka(mode: Mode): string[] {
  const base = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca.caPem}`];
  return mode === 'SSL' ? base : [...base, '-X', `ssl.certificate.location=${client.cert}`, '-X', `ssl.key.location=${client.key}`];
}

/** node:tls options for `mode` (kafkajs, @platformatic/kafka). */
async function nodeTls(mode: Mode): Promise<tls.ConnectionOptions> {
  const trust = { ca: await readFile(ca.caPem, 'utf8') };
  return mode === 'SSL' ? trust : { ...trust, cert: await readFile(client.cert, 'utf8'), key: await readFile(client.key, 'utf8') };
}

for (const mode of modes) {
  test(`kcat produces and consumes over ${mode}`, async (t) => {
    if (!requireTool(t, openssl) || !requireTool(t, tools.kcat)) return;
    const topic = uniqueTopic(`tls-kcat-${mode}`);
    const sent = values('kcat');
    await kcatOk(['-b', address(mode), ...librdkafka(mode), '-P', '-t', topic, '-X', 'acks=all'], { input: `${sent.join('\n')}\n` });
    const read = await kcatConsumeAll(address(mode), topic, librdkafka(mode));
    assert.deepEqual(read.map((r) => r.value), sent);
  });

  for (const python of ['confluent', 'kafka-python'] as const) {
    test(`${python} produces and consumes over ${mode}`, async (t) => {
      if (!requireTool(t, openssl) || !requireTool(t, python === 'confluent' ? tools.confluentKafka : tools.kafkaPython)) return;
      const topic = uniqueTopic(`tls-${python}-${mode}`);
      const sent = values(python);
      const mtls = mode === 'MTLS';
      const result = await runPythonScript<{ produced: number; consumed: string[] }>('secure_roundtrip.py', {
        client: python,
        bootstrap: address(mode),
        protocol: 'SSL',
        topic,
        values: sent,
        ca: ca.caPem,
        cert: mtls ? client.cert : null,
        key: mtls ? client.key : null,
      });
      assert.deepEqual(result, { produced: sent.length, consumed: sent });
    });
  }

  test(`kafkajs produces and consumes (in a group) over ${mode}`, async (t) => {
    if (!requireTool(t, openssl)) return;
    const topic = uniqueTopic(`tls-kafkajs-${mode}`);
    const sent = values('kafkajs');
    const kafka = new Kafka({ clientId: 'kb-tls-kafkajs', brokers: [address(mode)], ssl: await nodeTls(mode), logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    assert.deepEqual(await kafkajsGroupRoundTrip(t, kafka, topic, sent, 'tls-kafkajs-group'), sent);
  });

  test(`@platformatic/kafka produces and consumes over ${mode}`, async (t) => {
    if (!requireTool(t, openssl)) return;
    const topic = uniqueTopic(`tls-platformatic-${mode}`);
    const sent = values('platformatic');
    const secure = await nodeTls(mode);
    const producer = new Producer({ clientId: 'kb-tls-platformatic', bootstrapBrokers: [address(mode)], tls: secure, serializers: stringSerializers, autocreateTopics: true, retries: 3, retryDelay: 200 });
    t.after(() => producer.close());
    await withTimeout(producer.send({ messages: sent.map((value) => ({ topic, partition: 0, value })), acks: -1 }), 15_000, 'platformatic send');
    const fetched = await fetchAll(address(mode), topic, 1, 20_000, secure);
    assert.deepEqual(
      fetched.records.map((r) => r.value),
      sent,
    );
    // And as a group member (its stream API).
    const options = { clientId: 'kb-tls-platformatic', bootstrapBrokers: [address(mode)], tls: secure };
    assert.deepEqual(await platformaticGroupRead(t, options, topic, sent.length, 'tls-platformatic-group'), sent);
  });
}

/** kcat -L, which gives up after its metadata timeout; with how long it took. */
async function kcatMetadata(at: string, extra: string[]): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  const result = await kcat(['-b', at, '-L', '-m', '5', ...extra], { timeoutMs: 30_000 });
  return { code: result.code, stderr: result.stderr, ms: Date.now() - started };
}

async function waitForLog(pattern: RegExp, what: string): Promise<void> {
  for (const deadline = Date.now() + 20_000; !pattern.test(broker.log()); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > deadline) assert.fail(`the broker did not log ${what}:\n${broker.log()}`);
  }
}

test('a plaintext client on an SSL port and a TLS client on the plaintext port fail fast, each told why; the broker logs it and keeps serving', async (t) => {
  if (!requireTool(t, openssl) || !requireTool(t, tools.kcat)) return;
  const plainOnTls = await kcatMetadata(address('SSL'), []);
  assert.notEqual(plainOnTls.code, 0);
  assert.match(plainOnTls.stderr, /connecting to a SSL listener\?/, 'librdkafka says the listener may be SSL');
  assert.ok(plainOnTls.ms < 15_000, `kcat gave up after ${plainOnTls.ms} ms`);
  await waitForLog(/TLS handshake with 127\.0\.0\.1 on SSL listener SSL failed: .*a client speaking plaintext to a TLS port\?/, 'the plaintext client on the SSL listener');

  const tlsOnPlain = await kcatMetadata(address('PLAIN'), librdkafka('SSL'));
  assert.notEqual(tlsOnPlain.code, 0);
  assert.match(tlsOnPlain.stderr, /SSL handshake failed|Disconnected/, 'librdkafka reports the failed handshake');
  assert.ok(tlsOnPlain.ms < 15_000, `kcat gave up after ${tlsOnPlain.ms} ms`);
  await waitForLog(/frame length \d+ outside .* \(a TLS handshake: this listener is PLAINTEXT\)/, 'the TLS client on the plaintext listener');

  await kcatOk(['-b', address('PLAIN'), '-L']);
  await kcatOk(['-b', address('SSL'), ...librdkafka('SSL'), '-L']);
});

test('a client without a certificate cannot use the MTLS listener (ssl.client.auth=required)', async (t) => {
  if (!requireTool(t, openssl) || !requireTool(t, tools.kcat)) return;
  const refused = await kcatMetadata(address('MTLS'), librdkafka('SSL'));
  assert.notEqual(refused.code, 0, refused.stderr);
  await waitForLog(/TLS handshake with 127\.0\.0\.1 on SSL listener MTLS failed: .*certificate/, 'the refused handshake');
  await kcatOk(['-b', address('MTLS'), ...librdkafka('MTLS'), '-L']);
});

/** The expiry of the certificate the listener at `at` presents to a new connection. */
function servedExpiry(at: string): Promise<string> {
  const [host, port] = at.split(':');
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port: Number(port), rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.validTo);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

test('certificates rotate without a restart: a new keystore is served to new connections, a broken one is logged and the current kept', async (t) => {
  if (!requireTool(t, openssl) || !requireTool(t, tools.kcat)) return;
  const first = await ca.issue('rotating', { days: 2 });
  const keystore = `${ca.dir}/rotating-keystore.pem`;
  await writeFile(keystore, await readFile(first.keystore));
  const rotating = await startBroker({
    listen: null,
    sets: { listeners: 'SSL://127.0.0.1:0', 'listener.security.protocol.map': 'SSL:SSL', 'ssl.keystore.location': keystore, 'ssl.reload.interval.ms': 100 },
  });
  t.after(() => rotating.stop());
  const before = await servedExpiry(rotating.address);
  const second = await ca.issue('rotating', { days: 1 });
  await writeFile(`${keystore}.new`, await readFile(second.keystore));
  await rename(`${keystore}.new`, keystore);
  let served = before;
  for (const deadline = Date.now() + 20_000; served === before; await new Promise((r) => setTimeout(r, 100))) {
    assert.ok(Date.now() < deadline, `the listener still serves the certificate expiring ${before}:\n${rotating.log()}`);
    served = await servedExpiry(rotating.address);
  }
  assert.notEqual(served, before);
  assert.match(rotating.log(), /listener SSL \(SSL\): certificate files changed, new connections get certificate CN=rotating,O=kb, expires \S+/);
  await kcatOk(['-b', rotating.address, ...librdkafka('SSL'), '-L']);

  await writeFile(`${keystore}.new`, 'not a certificate\n');
  await rename(`${keystore}.new`, keystore);
  for (const deadline = Date.now() + 20_000; !/certificate files changed but cannot be used, keeping the current certificate: .*holds no PEM certificate/.test(rotating.log()); await new Promise((r) => setTimeout(r, 100))) {
    assert.ok(Date.now() < deadline, `the broken keystore was not logged:\n${rotating.log()}`);
  }
  assert.equal(await servedExpiry(rotating.address), served, 'the rotated certificate is still served');
  await kcatOk(['-b', rotating.address, ...librdkafka('SSL'), '-L']);
});

test('a keystore that is not there is a start error naming it, without a stack trace', async (t: TestContext) => {
  if (!requireTool(t, openssl)) return;
  const missing = `${ca.dir}/missing.pem`;
  await assert.rejects(
    startBroker({ listen: null, sets: { listeners: 'SSL://127.0.0.1:0', 'listener.security.protocol.map': 'SSL:SSL', 'ssl.keystore.location': missing } }),
    (err: Error) => {
      assert.match(err.message, /broker exited \(1\)/);
      const said = err.message.replace(/\s*\n ›\s+/g, ' '); // oclif wraps the error over lines
      assert.match(said, new RegExp(`listener SSL \\(SSL\\): ssl.keystore.location ${missing}: no such file`));
      assert.doesNotMatch(err.message, /^\s+at /m, 'no stack trace');
      return true;
    },
  );
});
