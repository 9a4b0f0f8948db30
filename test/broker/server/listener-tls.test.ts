/**
 * An SSL Listener over real sockets, with a CA made by openssl: the
 * principal each client gets (its certificate's subject through
 * ssl.principal.mapping.rules, or ANONYMOUS) as ssl.client.auth says;
 * refused handshakes (no certificate, an untrusted one, a plaintext
 * client, a subject no rule maps) close the connection and are logged,
 * and the listener serves the next client. Its connections decrypt into
 * the listener's one read buffer (tls-read-buffer.ts), which large
 * pipelined frames from concurrent clients cross intact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Listener, type ListenerOptions } from '../../../src/broker/server/listener.ts';
import { Connection, type Dispatch } from '../../../src/broker/server/connection.ts';
import { ListenerTls, readListenerTls } from '../../../src/broker/server/listener-tls.ts';
import { listenerOptions } from './listener-options.ts';
import { BrokerConfig } from '../../../src/broker/config.ts';
import { systemTime } from '../../../src/clock.ts';
import { makeTestCa, openssl, sslListenerSets, type Issued, type TestCa } from '../../helpers/tls.ts';
import { requireTool } from '../../helpers/tools.ts';


/** Answers every request with the connection's principal: int32 length, then its UTF-8. */
const principalEcho: Dispatch = async (_payload, connection) => {
  const text = Buffer.from(connection.principal);
  const out = Buffer.alloc(4 + text.length);
  out.writeInt32BE(text.length, 0);
  text.copy(out, 4);
  return out;
};

/** A 10-byte request payload in its frame. */
const request = Buffer.from('0000000a00120003000000010000', 'hex');

let ca: TestCa;
let rogueCa: TestCa;
let server: Issued;
let alice: Issued;
let rogue: Issued;

before(async () => {
  ca = await makeTestCa();
  rogueCa = await makeTestCa('rogue CA');
  server = await ca.issue('server');
  alice = await ca.issue('alice', { subject: '/O=kb/OU=eng/CN=alice' });
  rogue = await rogueCa.issue('alice', { subject: '/O=kb/OU=eng/CN=alice' });
});
after(async () => {
  await ca?.remove();
  await rogueCa?.remove();
});

async function withSslListener(
  sets: Record<string, string>,
  fn: (port: number, log: string[]) => Promise<void>,
  dispatch: Dispatch = principalEcho,
  options: Partial<ListenerOptions> = {},
): Promise<void> {
  const log: string[] = [];
  const logger = { info: (m: string) => log.push(m), warn: (m: string) => log.push(m), error: (m: string) => log.push(m) };
  const listenerTls = new ListenerTls(readListenerTls(new BrokerConfig(Object.entries(sets)), 'CLIENT'), logger, systemTime);
  await listenerTls.load();
  const listener = new Listener(listenerOptions({ ...options, tls: listenerTls }), dispatch, logger);
  const { port } = await listener.listen();
  try {
    await fn(port, log);
  } finally {
    await listener.close();
  }
}

/** The principal the listener answers a TLS client with, or the error that ended the connection first. */
async function principalOf(port: number, client: Issued | null): Promise<string> {
  const [cert, key] = client ? await Promise.all([readFile(client.cert), readFile(client.key)]) : [undefined, undefined];
  const socket = tls.connect({ host: '127.0.0.1', port, ca: await readFile(ca.caPem), cert, key });
  return answer(socket);
}

function answer(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let bytes = Buffer.alloc(0);
    const timer = setTimeout(() => finish('no answer within 10 s'), 10_000);
    const finish = (result: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => socket.write(request));
    if (!(socket instanceof tls.TLSSocket)) socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (bytes.length >= 4 && bytes.length >= 4 + bytes.readInt32BE(0)) finish(bytes.subarray(4, 4 + bytes.readInt32BE(0)).toString());
    });
    socket.on('error', (err) => finish(`error: ${err.message}`));
    socket.on('close', () => finish('closed'));
  });
}

test('ssl.client.auth=required: a trusted certificate gives its subject as principal; none or an untrusted one fails the handshake, logged', async (t) => {
  if (!requireTool(t, openssl)) return;
  await withSslListener(sslListenerSets('CLIENT', server.keystore, ca.caPem, 'required'), async (port, log) => {
    assert.equal(await principalOf(port, alice), 'User:CN=alice,OU=eng,O=kb');
    assert.match(await principalOf(port, null), /^error: |^closed$/);
    assert.match(await principalOf(port, rogue), /^error: |^closed$/);
    assert.ok(log.some((l) => /TLS handshake with 127\.0\.0\.1 on SSL listener CLIENT failed: .*certificate/.test(l)), log.join('\n'));
    assert.equal(await principalOf(port, alice), 'User:CN=alice,OU=eng,O=kb', 'the listener still serves');
  });
});

test('ssl.client.auth=requested: no certificate or an untrusted one is ANONYMOUS, a trusted one maps through the rules', async (t) => {
  if (!requireTool(t, openssl)) return;
  const sets = { ...sslListenerSets('CLIENT', server.keystore, ca.caPem, 'requested'), 'ssl.principal.mapping.rules': 'RULE:^CN=([^,]+),OU=eng,.*$/$1@eng/U,DEFAULT' };
  await withSslListener(sets, async (port) => {
    assert.equal(await principalOf(port, alice), 'User:ALICE@ENG');
    assert.equal(await principalOf(port, null), 'User:ANONYMOUS');
    assert.equal(await principalOf(port, rogue), 'User:ANONYMOUS');
  });
});

test('ssl.client.auth=none: a client certificate is not asked for, everyone is ANONYMOUS', async (t) => {
  if (!requireTool(t, openssl)) return;
  await withSslListener(sslListenerSets('CLIENT', server.keystore, ca.caPem, 'none'), async (port) => {
    assert.equal(await principalOf(port, alice), 'User:ANONYMOUS');
    assert.equal(await principalOf(port, null), 'User:ANONYMOUS');
  });
});

test('a certificate no mapping rule applies to is closed, logged (Kafka fails its authentication)', async (t) => {
  if (!requireTool(t, openssl)) return;
  const sets = { ...sslListenerSets('CLIENT', server.keystore, ca.caPem, 'required'), 'listener.name.client.ssl.principal.mapping.rules': 'RULE:^CN=bob,.*$/bob/' };
  await withSslListener(sets, async (port, log) => {
    assert.match(await principalOf(port, alice), /^error: |^closed$/);
    assert.ok(log.some((l) => l.includes('no ssl.principal.mapping.rules rule applies')), log.join('\n'));
  });
});

test('a plaintext client on the SSL listener is closed at once and logged as such; the listener serves the next client', async (t) => {
  if (!requireTool(t, openssl)) return;
  await withSslListener(sslListenerSets('CLIENT', server.keystore, ca.caPem, 'none'), async (port, log) => {
    const started = Date.now();
    assert.equal(await answer(net.connect({ host: '127.0.0.1', port })), 'closed');
    assert.ok(Date.now() - started < 5_000, 'closed quickly');
    assert.ok(log.some((l) => /TLS handshake with 127\.0\.0\.1 .*plaintext/.test(l)), log.join('\n'));
    assert.equal(await principalOf(port, null), 'User:ANONYMOUS');
  });
});

/** Answers every request with the SHA-256 of its payload: int32 length 32, then the digest. */
const digestEcho: Dispatch = async (payload) => Buffer.concat([Buffer.from([0, 0, 0, 32]), createHash('sha256').update(payload).digest()]);

/** Sends `payloads` as pipelined frames over TLS and resolves with the digests answered, in order. */
async function digestsAnswered(port: number, payloads: Buffer[]): Promise<string[]> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: await readFile(ca.caPem) });
  const answerBytes = 4 + 32;
  return new Promise((resolve, reject) => {
    let bytes = Buffer.alloc(0);
    socket.once('secureConnect', () => {
      for (const payload of payloads) socket.write(Buffer.concat([Buffer.from(Uint32Array.of(payload.length).buffer).reverse(), payload]));
    });
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (bytes.length < payloads.length * answerBytes) return;
      socket.destroy();
      resolve(payloads.map((_, i) => bytes.subarray(i * answerBytes + 4, (i + 1) * answerBytes).toString('hex')));
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${bytes.length} bytes of answers`)));
  });
}

test('connections decrypt into the listener\'s one read buffer: pipelined frames of many TLS records from two clients at once are answered intact, in order', async (t) => {
  if (!requireTool(t, openssl)) return;
  const readInto = new Set<ArrayBufferLike>();
  const receive = Connection.prototype.receive;
  t.mock.method(Connection.prototype, 'receive', function (this: Connection, bytes: Buffer) {
    readInto.add(bytes.buffer);
    return receive.call(this, bytes);
  });
  /** Produce-keyed frames (the pooled memory path) of 100 KB: seven 16 KB TLS records each. */
  const frames = (client: number) => [1, 2, 3].map((id) => Buffer.concat([Buffer.from([0, 0, 0, 9, 0, 0, client, id]), randomBytes(100_000)]));
  const digest = (payload: Buffer) => createHash('sha256').update(payload).digest('hex');
  await withSslListener(
    sslListenerSets('CLIENT', server.keystore, ca.caPem, 'none'),
    async (port) => {
      const sent = [frames(1), frames(2)];
      const answered = await Promise.all(sent.map((payloads) => digestsAnswered(port, payloads)));
      assert.deepEqual(answered, sent.map((payloads) => payloads.map(digest)));
    },
    digestEcho,
    { maxFrameBytes: 200_000 },
  );
  assert.equal(readInto.size, 1, `the connections read into ${readInto.size} buffers`);
});

test('SSL settings: each mistake is a start error naming the key (the listener.name. prefix first)', () => {
  const refused = (sets: Record<string, string>, message: RegExp) =>
    assert.throws(() => readListenerTls(new BrokerConfig(Object.entries(sets)), 'CLIENT'), (err: Error) => (assert.match(err.message, message), true));
  const keystore = { 'ssl.keystore.location': '/k.pem' };
  refused({}, /listener CLIENT \(SSL\): ssl.keystore.location is not set: give a PEM file/);
  refused({ ...keystore, 'listener.name.client.ssl.keystore.type': 'JKS' }, /listener.name.client.ssl.keystore.type=JKS: kb reads PEM only/);
  refused({ ...keystore, 'ssl.keystore.certificate.chain': '-----BEGIN' }, /ssl.keystore.location and ssl.keystore.certificate.chain\/ssl.keystore.key are both set/);
  refused({ ...keystore, 'ssl.client.auth': 'always' }, /ssl.client.auth=always: expected required, requested or none/);
  refused({ ...keystore, 'ssl.client.auth': 'required' }, /ssl.truststore.location is not set: ssl.client.auth=required needs the CA certificates/);
  refused({ ...keystore, 'ssl.enabled.protocols': 'TLSv1.1,TLSv1.2' }, /ssl.enabled.protocols=TLSv1.1,TLSv1.2: kb speaks TLSv1.2 and TLSv1.3 only/);
  refused({ ...keystore, 'ssl.principal.mapping.rules': 'RULE:x' }, /listener CLIENT \(SSL\): ssl.principal.mapping.rules: "RULE:x" is neither DEFAULT nor RULE/);
  refused({ ...keystore, 'ssl.endpoint.identification.algorithm': 'http' }, /expected https or empty/);
  refused({ ...keystore, 'ssl.reload.interval.ms': '0' }, /ssl.reload.interval.ms=0: expected a positive number/);
  const settings = readListenerTls(new BrokerConfig(Object.entries({ ...keystore, 'ssl.enabled.protocols': 'TLSv1.3', 'listener.name.client.ssl.keystore.location': '/client.pem' })), 'CLIENT');
  assert.equal(settings.keystoreLocation, '/client.pem', 'the listener.name. key overrides the plain one');
  assert.deepEqual([settings.minVersion, settings.maxVersion, settings.clientAuth, settings.verifyPeerName], ['TLSv1.3', 'TLSv1.3', 'none', true]);
  assert.equal(readListenerTls(new BrokerConfig(Object.entries({ ...keystore, 'ssl.endpoint.identification.algorithm': '' })), 'CLIENT').verifyPeerName, false);
});

test('certificate files: missing, not PEM, a key of another certificate, a wrong password are start errors saying so', async (t) => {
  if (!requireTool(t, openssl)) return;
  const other = await ca.issue('other');
  const locked = await ca.issue('locked', { keyPassword: 'right-password' });
  const loadError = async (sets: Record<string, string>): Promise<string> => {
    const listenerTls = new ListenerTls(readListenerTls(new BrokerConfig(Object.entries(sets)), 'CLIENT'), { info() {}, warn() {}, error() {} }, systemTime);
    try {
      await listenerTls.load();
    } catch (err) {
      return (err as Error).message;
    }
    return 'loaded';
  };
  assert.match(await loadError({ 'ssl.keystore.location': `${ca.dir}/nothing.pem` }), /ssl.keystore.location .*nothing.pem: no such file/);
  assert.match(await loadError({ 'ssl.keystore.location': server.cert }), /holds no PEM private key/);
  assert.match(await loadError({ 'ssl.keystore.location': server.keystore, 'ssl.truststore.location': server.key }), /ssl.truststore.location .* holds no PEM certificate/);
  assert.match(await loadError({ 'ssl.keystore.certificate.chain': await readFile(server.cert, 'utf8'), 'ssl.keystore.key': await readFile(other.key, 'utf8') }), /the private key of ssl.keystore.certificate.chain does not belong to its certificate/);
  const lockedSets = { 'ssl.keystore.certificate.chain': await readFile(locked.cert, 'utf8'), 'ssl.keystore.key': await readFile(locked.key, 'utf8') };
  assert.match(await loadError({ ...lockedSets, 'ssl.key.password': 'wrong' }), /cannot be decrypted: check ssl.key.password/);
  assert.equal(await loadError({ ...lockedSets, 'ssl.key.password': 'right-password' }), 'loaded');
  const oneLine = async (file: string) => (await readFile(file, 'utf8')).replace(/\n/g, ' ');
  assert.equal(await loadError({ 'ssl.keystore.certificate.chain': await oneLine(server.cert), 'ssl.keystore.key': await oneLine(server.key) }), 'loaded', 'inline PEM on one line, as in a properties file');
});

test('a certificate past its expiry (on the injected wall clock) loads with a warning saying so', async (t) => {
  if (!requireTool(t, openssl)) return;
  const log: string[] = [];
  const logger = { info: (m: string) => log.push(m), warn: (m: string) => log.push(`WARN ${m}`), error: (m: string) => log.push(m) };
  const settings = readListenerTls(new BrokerConfig(Object.entries({ 'ssl.keystore.location': server.keystore })), 'CLIENT');
  await new ListenerTls(settings, logger, systemTime).load();
  assert.ok(!log.some((l) => l.startsWith('WARN')), log.join('\n'));
  await new ListenerTls(settings, logger, { ...systemTime, wallMs: () => Date.parse('2100-01-01T00:00:00Z') }).load();
  assert.ok(log.some((l) => /^WARN listener CLIENT \(SSL\): its certificate expired at \S+: clients will refuse it/.test(l)), log.join('\n'));
});
