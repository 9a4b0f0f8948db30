/**
 * SASL listeners against real clients (#24), with a CA made by openssl: one
 * `kb broker start` with SASL_SSL offering SCRAM (SCRAM, the default
 * mechanisms), SASL_SSL offering PLAIN (PLAINSSL), SASL_PLAINTEXT offering
 * SCRAM-SHA-256 (SCRAM256), SASL_PLAINTEXT offering PLAIN (PLAINTCP, for
 * hand-made requests), two SASL_PLAINTEXT listeners whose logins last
 * `reauthMs` (REAUTH with PLAIN, REAUTHJS with SCRAM), and a PLAINTEXT listener (ADMIN, where the test
 * gives the bootstrap user a SCRAM-SHA-256 credential too). The first user
 * comes from --bootstrap-user. kcat, confluent-kafka, kafka-python, kafkajs
 * and @platformatic/kafka each produce and consume over the three. Each
 * gets a clean authentication error for a wrong password and for an
 * unknown user, each against a broker of its own (failures are limited per
 * address, and every client here comes from 127.0.0.1); the broker logs
 * the attempt with the user and address, never the password. Before it
 * has logged in a connection is served ApiVersions and SASL only. Failed
 * logins are limited per address: past the burst, attempts are refused
 * unread until the address has earned one again, while other addresses log
 * in. Where logins last connections.max.reauth.ms, a
 * connection that re-authenticates in time goes on and one that does not is
 * closed at its next request; kafkajs re-authenticates by itself. With the
 * authorizer on, the user a client logged in as is the principal its ACLs
 * name.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Admin, Producer, stringSerializers, type SASLOptions } from '@platformatic/kafka';
import { Kafka, logLevel, type SASLOptions as KafkajsSasl } from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { kcat, kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { runPythonScript } from '../helpers/python.ts';
import { kafkajsGroupRoundTrip, platformaticGroupRead } from '../helpers/group-round-trips.ts';
import { uniqueTopic, withTimeout } from '../helpers/records.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { makeTestCa, openssl, type TestCa } from '../helpers/tls.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { RawConnection } from '../helpers/raw-kafka.ts';
import { parseHostPort } from '../../src/net/host-port.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { authFailuresBurst } from '../../src/limits.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../src/protocol/acl.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { saltedPassword, scramMechanismNamed } from '../../src/protocol/scram.ts';

const user = 'alice';
const reauthMs = 2500;
const password = 'alice-password';
let ca: TestCa;
let keystore: string;

interface Mode {
  listener: string;
  protocol: 'SASL_SSL' | 'SASL_PLAINTEXT';
  mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN';
}
const modes: Mode[] = [
  { listener: 'SCRAM', protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-512' },
  { listener: 'PLAINSSL', protocol: 'SASL_SSL', mechanism: 'PLAIN' },
  { listener: 'SCRAM256', protocol: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-256' },
];
const describe = (mode: Mode) => `${mode.protocol} with ${mode.mechanism}`;

/** A broker with the listeners of the header and the bootstrap user; its listeners' addresses by name. */
async function startSaslBroker(t?: TestContext, sets: Record<string, string> = {}): Promise<{ broker: RunningBroker; address: (listener: string) => string }> {
  const broker = await startBroker({
    listen: null,
    args: ['--bootstrap-user', user],
    env: { KB_BOOTSTRAP_PASSWORD: password },
    sets: {
      listeners: 'SCRAM://127.0.0.1:0,PLAINSSL://127.0.0.1:0,SCRAM256://127.0.0.1:0,PLAINTCP://127.0.0.1:0,REAUTH://127.0.0.1:0,REAUTHJS://127.0.0.1:0,ADMIN://127.0.0.1:0',
      'listener.security.protocol.map': 'SCRAM:SASL_SSL,PLAINSSL:SASL_SSL,SCRAM256:SASL_PLAINTEXT,PLAINTCP:SASL_PLAINTEXT,REAUTH:SASL_PLAINTEXT,REAUTHJS:SASL_PLAINTEXT,ADMIN:PLAINTEXT',
      'listener.name.reauth.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.reauth.connections.max.reauth.ms': reauthMs,
      'listener.name.reauthjs.connections.max.reauth.ms': reauthMs,
      'listener.name.plainssl.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.plaintcp.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.scram256.sasl.enabled.mechanisms': 'SCRAM-SHA-256',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': keystore,
      'group.initial.rebalance.delay.ms': 0,
      ...sets,
    },
  });
  t?.after(() => broker.stop());
  return { broker, address: (listener) => broker.listeners.get(listener)! };
}

/** Gives `name` a SCRAM-SHA-256 credential with `secret`, over the PLAINTEXT listener at `at`. */
async function addScramSha256(at: string, name: string, secret: string): Promise<void> {
  const [host, port] = at.split(':');
  const cluster = new Cluster({ bootstrap: [{ host, port: Number(port) }], clientId: 'sasl-test', requestTimeoutMs: 15_000 });
  try {
    const salt = randomBytes(32);
    const salted = await saltedPassword(scramMechanismNamed('SCRAM-SHA-256')!, secret, salt, 4096, { stored: true });
    const response = await (await cluster.connection(host, Number(port))).request(ApiKeys.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [{ name, mechanism: 1, iterations: 4096, salt, saltedPassword: salted }],
    });
    assert.equal(response.results[0].errorCode, 0);
  } finally {
    cluster.close();
  }
}

let shared: { broker: RunningBroker; address: (listener: string) => string };

before(async () => {
  ca = await makeTestCa();
  keystore = (await ca.issue('server')).keystore;
  shared = await startSaslBroker();
  await addScramSha256(shared.address('ADMIN'), user, password);
});
after(async () => {
  await shared?.broker.stop();
  await ca?.remove();
});

const values = (what: string) => Array.from({ length: 5 }, (_, i) => `${what} ${i}`);

/** librdkafka's settings for `mode` and a login. */
function librdkafka(mode: Mode, login = { user, password }): string[] {
  const tls = mode.protocol === 'SASL_SSL' ? ['-X', `ssl.ca.location=${ca.caPem}`] : [];
  return ['-X', `security.protocol=${mode.protocol}`, '-X', `sasl.mechanisms=${mode.mechanism}`, '-X', `sasl.username=${login.user}`, '-X', `sasl.password=${login.password}`, ...tls];
}

const nodeTls = async (mode: Mode) => (mode.protocol === 'SASL_SSL' ? { ca: await readFile(ca.caPem, 'utf8') } : undefined);
const kafkajsSasl = (mode: Mode, login = { user, password }) =>
  ({ mechanism: mode.mechanism.toLowerCase(), username: login.user, password: login.password }) as KafkajsSasl;
const platformaticSasl = (mode: Mode, login = { user, password }): SASLOptions => ({ mechanism: mode.mechanism, username: login.user, password: login.password });

for (const mode of modes) {
  test(`kcat produces and consumes over ${describe(mode)}`, async (t) => {
    if (!requireTool(t, openssl) || !requireTool(t, tools.kcat)) return;
    const at = shared.address(mode.listener);
    const topic = uniqueTopic(`sasl-kcat-${mode.listener}`);
    const sent = values('kcat');
    await kcatOk(['-b', at, ...librdkafka(mode), '-P', '-t', topic, '-X', 'acks=all'], { input: `${sent.join('\n')}\n` });
    const read = await kcatConsumeAll(at, topic, librdkafka(mode));
    assert.deepEqual(read.map((r) => r.value), sent);
  });

  for (const python of ['confluent', 'kafka-python'] as const) {
    test(`${python} produces and consumes over ${describe(mode)}`, async (t) => {
      if (!requireTool(t, openssl) || !requireTool(t, python === 'confluent' ? tools.confluentKafka : tools.kafkaPython)) return;
      const topic = uniqueTopic(`sasl-${python}-${mode.listener}`);
      const sent = values(python);
      const result = await runPythonScript('secure_roundtrip.py', {
        client: python,
        bootstrap: shared.address(mode.listener),
        protocol: mode.protocol,
        mechanism: mode.mechanism,
        user,
        password,
        ca: mode.protocol === 'SASL_SSL' ? ca.caPem : null,
        topic,
        values: sent,
      });
      assert.deepEqual(result, { produced: sent.length, consumed: sent });
    });
  }

  test(`kafkajs produces and consumes (in a group) over ${describe(mode)}`, async (t) => {
    if (!requireTool(t, openssl)) return;
    const topic = uniqueTopic(`sasl-kafkajs-${mode.listener}`);
    const sent = values('kafkajs');
    const kafka = new Kafka({ clientId: 'kb-sasl-kafkajs', brokers: [shared.address(mode.listener)], ssl: await nodeTls(mode), sasl: kafkajsSasl(mode), logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    assert.deepEqual(await kafkajsGroupRoundTrip(t, kafka, topic, sent, 'sasl-kafkajs-group'), sent);
  });

  test(`@platformatic/kafka produces and consumes (in a group) over ${describe(mode)}`, async (t) => {
    if (!requireTool(t, openssl)) return;
    const topic = uniqueTopic(`sasl-platformatic-${mode.listener}`);
    const sent = values('platformatic');
    const secure = { tls: await nodeTls(mode), sasl: platformaticSasl(mode), bootstrapBrokers: [shared.address(mode.listener)], clientId: 'kb-sasl-platformatic' };
    const producer = new Producer({ ...secure, serializers: stringSerializers, autocreateTopics: true, retries: 3, retryDelay: 200 });
    t.after(() => producer.close());
    await withTimeout(producer.send({ messages: sent.map((value) => ({ topic, partition: 0, value })), acks: -1 }), 15_000, 'platformatic send');
    assert.deepEqual(await platformaticGroupRead(t, secure, topic, sent.length, 'sasl-platformatic-group'), sent);
  });
}

const logins = [
  { what: 'a wrong password', user, password: 'not-the-password' },
  { what: 'an unknown user', user: 'mallory', password: 'mallory-password' },
];
type Login = (typeof logins)[number];
/** What a refused login reads, the same for a wrong password and an unknown user (Kafka's wording). */
const invalidCredentials = /invalid credentials with SASL mechanism (PLAIN|SCRAM-SHA-(256|512))/;
const clients = ['kcat', 'confluent', 'kafka-python', 'kafkajs', 'platformatic'] as const;
type Client = (typeof clients)[number];

/**
 * What `client` reads for a refused login over `mode`. kafka-python 2.0
 * speaks the SASL of SaslHandshake v0 (raw tokens, no error field): it
 * reads a refused PLAIN login as one, but a refused SCRAM exchange only as
 * a connection that failed (as against Kafka), and gives up. The others
 * read Kafka's message, @platformatic/kafka only its error code.
 */
function expectedError(client: Client, mode: Mode): RegExp {
  if (client === 'kafka-python') return mode.mechanism === 'PLAIN' ? /AuthenticationFailedError/ : /NoBrokersAvailable|KafkaConnectionError/;
  return client === 'platformatic' ? /SaslAuthenticate.* \/ SASL authentication failed/ : invalidCredentials;
}

/** Every message of an error and of its causes (the clients nest the broker's message). */
function messages(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const nested = [err.cause, ...((err as { errors?: unknown[] }).errors ?? [])].filter((e) => e !== undefined);
  return [err.message, ...nested.map(messages)].join(' / ');
}

/** How `client` fails to log in at `at` with `login`: its first error. */
async function failedLogin(client: Client, at: string, mode: Mode, login: Login): Promise<string> {
  switch (client) {
    case 'kcat': {
      const backoff = ['-X', 'reconnect.backoff.ms=10000', '-X', 'reconnect.backoff.max.ms=10000'];
      const result = await kcat(['-b', at, ...librdkafka(mode, login), ...backoff, '-L', '-m', '3']);
      assert.notEqual(result.code, 0, 'kcat -L succeeded');
      return result.stderr;
    }
    case 'confluent':
    case 'kafka-python': {
      const input = { client, bootstrap: at, protocol: mode.protocol, mechanism: mode.mechanism, ...login, ca: mode.protocol === 'SASL_SSL' ? ca.caPem : null, topic: 'unused', values: [] };
      const result = await runPythonScript<{ error: string | null }>('secure_roundtrip.py', input);
      return result.error ?? 'no error';
    }
    case 'kafkajs': {
      const kafka = new Kafka({ clientId: 'kb-sasl-kafkajs', brokers: [at], ssl: await nodeTls(mode), sasl: kafkajsSasl(mode, login), logLevel: logLevel.NOTHING, retry: { retries: 0 } });
      const admin = kafka.admin();
      return withTimeout(admin.connect().then(() => 'no error', messages), 20_000, 'kafkajs admin.connect');
    }
    case 'platformatic': {
      const admin = new Admin({ clientId: 'kb-sasl-platformatic', bootstrapBrokers: [at], tls: await nodeTls(mode), sasl: platformaticSasl(mode, login), retries: 0 });
      try {
        return await withTimeout(admin.listTopics().then(() => 'no error', messages), 20_000, 'platformatic listTopics');
      } finally {
        await admin.close();
      }
    }
  }
}

for (const client of clients) {
  test(`${client} gets a clean authentication error for a wrong password and for an unknown user; the broker logs who and from where, never the password`, async (t) => {
    if (!requireTool(t, openssl)) return;
    if (client === 'kcat' && !requireTool(t, tools.kcat)) return;
    if (client === 'confluent' && !requireTool(t, tools.confluentKafka)) return;
    if (client === 'kafka-python' && !requireTool(t, tools.kafkaPython)) return;
    // A broker of its own: failures are limited per address, and every client here is 127.0.0.1.
    const { broker, address } = await startSaslBroker(t);
    for (const mode of modes) {
      const expected = expectedError(client, mode);
      for (const login of logins) {
        const started = Date.now();
        const error = await failedLogin(client, address(mode.listener), mode, login);
        assert.match(error, expected, `${client}, ${describe(mode)}, ${login.what}`);
        assert.ok(Date.now() - started < 30_000, `${client} took ${Date.now() - started} ms to fail`);
      }
    }
    // The first failure is logged (the next ones within a second are counted into the next line).
    const log = broker.log();
    assert.match(log, /closing connection \d+ from 127\.0\.0\.1:\d+: authentication failed: User:(alice|mallory), (PLAIN|SCRAM-SHA-\d+): .*invalid credentials/);
    for (const login of logins) assert.doesNotMatch(log, new RegExp(login.password), 'a password in the log');
  });
}

const metadataRequest = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

test('before logging in, a connection is served ApiVersions and SASL only: anything else closes it unanswered', async () => {
  const { host, port } = parseHostPort(shared.address('SCRAM256'));
  const connection = await RawConnection.open(host, port);
  try {
    assert.equal((await connection.request<{ errorCode: number }>(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'kb-test', clientSoftwareVersion: '1' })).body.errorCode, 0);
    const handshake = await connection.request<{ errorCode: number; mechanisms: string[] }>(ApiKeys.SaslHandshake, 1, { mechanism: 'PLAIN' });
    assert.deepEqual(handshake.body, { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['SCRAM-SHA-256'] });
  } finally {
    connection.destroy();
  }
  const early = await RawConnection.open(host, port);
  try {
    await assert.rejects(early.request(ApiKeys.Metadata, 9, metadataRequest), /closed the connection instead of answering/);
  } finally {
    early.destroy();
  }
});

interface LoginAnswer {
  errorCode: number;
  errorMessage: string | null;
  sessionLifetimeMs: bigint;
}

/** A PLAIN login (SaslHandshake v1, SaslAuthenticate v2) as alice with `secret` on `connection`: the SaslAuthenticate answer. */
async function plainLoginOn(connection: RawConnection, secret: string): Promise<LoginAnswer> {
  assert.equal((await connection.request<{ errorCode: number }>(ApiKeys.SaslHandshake, 1, { mechanism: 'PLAIN' })).body.errorCode, 0);
  const { errorCode, errorMessage, sessionLifetimeMs } = (await connection.request<LoginAnswer>(ApiKeys.SaslAuthenticate, 2, { authBytes: Buffer.from(`\0${user}\0${secret}`) })).body;
  return { errorCode, errorMessage, sessionLifetimeMs };
}

/** A connection from `localAddress` to `listener` (a SASL_PLAINTEXT one). */
function openFrom(listener: string, localAddress: string): Promise<RawConnection> {
  const { host, port } = parseHostPort(shared.address(listener));
  return RawConnection.open(host, port, 5000, localAddress);
}

/** A PLAIN login from `localAddress` to the PLAINTCP listener: its error code and message. */
async function plainLogin(localAddress: string, secret: string): Promise<{ errorCode: number; errorMessage: string | null }> {
  const connection = await openFrom('PLAINTCP', localAddress);
  try {
    const { errorCode, errorMessage } = await plainLoginOn(connection, secret);
    return { errorCode, errorMessage };
  } finally {
    connection.destroy();
  }
}

test('failed logins are limited per address: past the burst an address is refused until it has earned an attempt again; other addresses log in', async () => {
  const limited = '127.0.0.77';
  // The budget refills as time passes (one a second), so count the failures until the first refusal rather than assume when it comes.
  let failures = 0;
  let answer = await plainLogin(limited, 'wrong password');
  for (; answer.errorMessage !== null && invalidCredentials.test(answer.errorMessage) && failures < 100; failures++) answer = await plainLogin(limited, 'wrong password');
  assert.equal(answer.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.match(answer.errorMessage ?? '', /too many failed authentications from 127\.0\.0\.77: try again in \d+ s/);
  assert.ok(failures >= authFailuresBurst, `refused after ${failures} failures`);
  assert.deepEqual(await plainLogin('127.0.0.78', password), { errorCode: 0, errorMessage: null }, 'another address is not limited');
  // One attempt a second is earned back: wait (generously) until the right password works again.
  for (const deadline = Date.now() + 20_000; answer.errorCode !== 0 && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    answer = await plainLogin(limited, password);
  }
  assert.deepEqual(answer, { errorCode: 0, errorMessage: null });
});

test('connections.max.reauth.ms: a login lasts that long; a connection that re-authenticates goes on, one that does not is closed at its next request', async (t) => {
  const started = Date.now();
  const renewing = await openFrom('REAUTH', '127.0.0.91');
  t.after(() => renewing.destroy());
  const quiet = await openFrom('REAUTH', '127.0.0.90');
  t.after(() => quiet.destroy());
  for (const connection of [renewing, quiet]) assert.deepEqual(await plainLoginOn(connection, password), { errorCode: 0, errorMessage: null, sessionLifetimeMs: BigInt(reauthMs) });
  let quietClosedAfter: number | null = null;
  // Both ask for metadata until the quiet one is closed and the renewing one has outlived two lifetimes; the renewing one logs in again each time.
  for (const deadline = started + 30_000; quietClosedAfter === null || Date.now() - started < 2 * reauthMs; ) {
    assert.ok(Date.now() < deadline, `the quiet connection was ${quietClosedAfter === null ? 'never closed' : `closed after ${quietClosedAfter} ms`}`);
    if (quietClosedAfter === null) {
      await quiet.request(ApiKeys.Metadata, 9, metadataRequest).catch(() => (quietClosedAfter = Date.now() - started));
    }
    assert.equal((await plainLoginOn(renewing, password)).errorCode, 0, 're-authentication');
    await renewing.request(ApiKeys.Metadata, 9, metadataRequest);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(quietClosedAfter !== null && quietClosedAfter >= reauthMs, `closed after ${quietClosedAfter} ms, before its login expired`);
  assert.match(shared.broker.log(), /from 127\.0\.0\.90:\d+: API 3 after the session expired \(connections\.max\.reauth\.ms\): the client did not re-authenticate/);
});

test('kafkajs re-authenticates on its connections before its logins expire, and keeps producing', async (t) => {
  const requests: string[] = [];
  const kafka = new Kafka({ clientId: 'kb-sasl-reauth', brokers: [shared.address('REAUTHJS')], sasl: kafkajsSasl(modes[0]), logLevel: logLevel.NOTHING, retry: { retries: 5 }, reauthenticationThreshold: reauthMs - 500 });
  const producer = kafka.producer();
  producer.on(producer.events.REQUEST, ({ payload }) => requests.push(payload.apiName));
  await withTimeout(producer.connect(), 15_000, 'kafkajs producer.connect');
  t.after(() => producer.disconnect());
  const topic = uniqueTopic('sasl-reauth');
  const started = Date.now();
  for (let i = 0; Date.now() - started < 2 * reauthMs; i++) {
    await withTimeout(producer.send({ topic, acks: -1, messages: [{ value: `v${i}`, partition: 0 }] }), 15_000, 'kafkajs send');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  assert.ok(requests.filter((name) => name === 'SaslHandshake').length >= 3, `kafkajs logged in again on its connection: ${requests.join(', ')}`);
  assert.doesNotMatch(shared.broker.log(), /from 127\.0\.0\.1:\d+: API \d+ after the session expired/);
});

test('@platformatic/kafka re-authenticates on its connection before its login expires, and keeps producing', async (t) => {
  const producer = new Producer({ clientId: 'kb-sasl-reauth', bootstrapBrokers: [shared.address('REAUTHJS')], sasl: platformaticSasl(modes[0]), serializers: stringSerializers, autocreateTopics: true, retries: 5, retryDelay: 200 });
  t.after(() => producer.close());
  const topic = uniqueTopic('sasl-reauth-platformatic');
  const started = Date.now();
  for (let i = 0; Date.now() - started < 2 * reauthMs; i++) {
    await withTimeout(producer.send({ messages: [{ topic, partition: 0, value: `v${i}` }], acks: -1 }), 15_000, 'platformatic send');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  // A client that did not re-authenticate would have had a request refused after its login expired, which the broker logs.
  assert.doesNotMatch(shared.broker.log(), /from 127\.0\.0\.1:\d+: API \d+ after the session expired/);
});

test('the user a client logged in as is the principal the authorizer checks: alice may produce once an ACL names User:alice', async (t) => {
  if (!requireTool(t, openssl) || !requireTool(t, tools.kcat)) return;
  // The PLAINTEXT ADMIN listener's clients are User:ANONYMOUS, made a super user to set the test up.
  const { address } = await startSaslBroker(t, { 'authorizer.class.name': 'kb.StandardAuthorizer', 'super.users': 'User:ANONYMOUS' });
  const topic = uniqueTopic('sasl-acl');
  const admin = new Kafka({ clientId: 'kb-sasl-acl', brokers: [address('ADMIN')], logLevel: logLevel.NOTHING }).admin();
  await withTimeout(admin.connect(), 15_000, 'admin.connect');
  t.after(() => admin.disconnect());
  await withTimeout(admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }), 20_000, 'createTopics');
  const produce = (input: string) => kcat(['-b', address('SCRAM'), ...librdkafka(modes[0]), '-P', '-t', topic], { input });
  const refused = await produce('refused\n');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Topic authorization failed/);
  const allow = (operation: number) => ({ resourceType: ResourceType.TOPIC, resourceName: topic, resourcePatternType: PatternType.LITERAL, principal: `User:${user}`, host: '*', operation, permissionType: AclPermission.ALLOW });
  await admin.createAcls({ acl: [allow(AclOperation.WRITE), allow(AclOperation.READ)] } as Parameters<typeof admin.createAcls>[0]);
  // ACLs apply once every node has the record: retry (generously) until alice's produce goes through.
  let result = await produce('allowed\n');
  for (const deadline = Date.now() + 20_000; result.code !== 0 && Date.now() < deadline; result = await produce('allowed\n')) await new Promise((r) => setTimeout(r, 250));
  assert.equal(result.code, 0, result.stderr);
});
