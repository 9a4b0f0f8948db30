/**
 * ACLs for different users, with real clients authenticated by their TLS
 * client certificates (mTLS, ssl.principal.mapping.rules: the CN is the
 * user): one `kb broker start` with the authorizer on,
 * allow.everyone.if.no.acl.found=false and super.users=User:admin. The
 * super user (kafkajs) creates the topics and ACLs: alice may write and
 * read topics prefixed `orders-` and use groups prefixed `alice-`; nobody
 * else may do anything. alice produces and consumes with kcat,
 * confluent-kafka, kafka-python, kafkajs (in a group, committing) and
 * @platformatic/kafka; bob, with a certificate of the same CA, gets each
 * client's authorization error, sees no topic in Metadata, and may not
 * read alice's group's offsets (kafkajs reports the GROUP_AUTHORIZATION_FAILED
 * of FindCoordinator as not finding the coordinator).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type tls from 'node:tls';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { kcat, kcatOk } from '../helpers/kcat.ts';
import { runPythonScript } from '../helpers/python.ts';
import { uniqueTopic, withTimeout } from '../helpers/records.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { makeTestCa, openssl, type Issued, type TestCa } from '../helpers/tls.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../src/protocol/acl.ts';

let ca: TestCa;
let broker: RunningBroker;
const certs: Record<string, Issued> = {};
let address: string;
let admin: Admin;
const prefix = `orders-${Date.now().toString(36)}-`;
const orders = `${prefix}1`;
const other = uniqueTopic('acl-other');

async function nodeTls(user: string): Promise<tls.ConnectionOptions> {
  const [caPem, cert, key] = await Promise.all([ca.caPem, certs[user].cert, certs[user].key].map((f) => readFile(f, 'utf8')));
  return { ca: caPem, cert, key };
}
const librdkafka = (user: string) => ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca.caPem}`, '-X', `ssl.certificate.location=${certs[user].cert}`, '-X', `ssl.key.location=${certs[user].key}`];
const kafkaAs = async (user: string) => new Kafka({ clientId: `kb-acl-${user}`, brokers: [address], ssl: await nodeTls(user), logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 100 } });

before(async () => {
  ca = await makeTestCa();
  for (const user of ['server', 'admin', 'alice', 'bob']) certs[user] = await ca.issue(user, { subject: `/O=kb/CN=${user}` });
  broker = await startBroker({
    listen: null,
    sets: {
      listeners: 'MTLS://127.0.0.1:0',
      'listener.security.protocol.map': 'MTLS:SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.server.keystore,
      'ssl.truststore.location': ca.caPem,
      'ssl.client.auth': 'required',
      'ssl.principal.mapping.rules': 'RULE:^CN=([^,]+),.*$/$1/',
      'authorizer.class.name': 'kb.StandardAuthorizer',
      'super.users': 'User:admin',
      'group.initial.rebalance.delay.ms': 0,
    },
  });
  address = broker.log().match(/MTLS:\/\/([\d.]+:\d+)/)![1];
  admin = (await kafkaAs('admin')).admin();
  await withTimeout(admin.connect(), 15_000, 'admin.connect');
  await withTimeout(admin.createTopics({ topics: [orders, other].map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true }), 20_000, 'createTopics');
  const alice = (resourceType: number, resourceName: string, operation: number) => ({
    resourceType,
    resourceName,
    resourcePatternType: PatternType.PREFIXED,
    principal: 'User:alice',
    host: '*',
    operation,
    permissionType: AclPermission.ALLOW,
  });
  await admin.createAcls({
    acl: [alice(ResourceType.TOPIC, prefix, AclOperation.WRITE), alice(ResourceType.TOPIC, prefix, AclOperation.READ), alice(ResourceType.GROUP, 'alice-', AclOperation.READ)],
  } as Parameters<Admin['createAcls']>[0]);
});
after(async () => {
  await admin?.disconnect();
  await broker?.stop();
  await ca?.remove();
});

test('kcat: alice produces and reads her topic and sees only it; bob is refused and sees nothing', async (t) => {
  if (!requireTool(t, openssl) || !requireTool(t, tools.kcat)) return;
  await kcatOk(['-b', address, ...librdkafka('alice'), '-P', '-t', orders], { input: 'kcat\n' });
  const read = await kcatOk(['-b', address, ...librdkafka('alice'), '-C', '-t', orders, '-o', 'beginning', '-c', '1', '-q']);
  assert.equal(read.stdout, 'kcat\n');
  const topicsOf = async (user: string) => JSON.parse((await kcatOk(['-b', address, ...librdkafka(user), '-L', '-J'])).stdout).topics.map((t: { topic: string }) => t.topic).sort();
  assert.deepEqual(await topicsOf('alice'), [orders]);
  assert.deepEqual(await topicsOf('bob'), []);
  assert.deepEqual(await topicsOf('admin'), [orders, other].sort(), 'the super user sees everything');
  const bob = await kcat(['-b', address, ...librdkafka('bob'), '-P', '-t', orders], { input: 'bob\n' });
  assert.notEqual(bob.code, 0);
  assert.match(bob.stderr, /Topic authorization failed/);
  const aliceOther = await kcat(['-b', address, ...librdkafka('alice'), '-P', '-t', other], { input: 'x\n' });
  assert.match(aliceOther.stderr, /Topic authorization failed/, 'no ACL on the other topic: denied (allow.everyone.if.no.acl.found=false)');
});

for (const python of ['confluent', 'kafka-python'] as const) {
  test(`${python}: alice produces and consumes her topic`, async (t) => {
    if (!requireTool(t, openssl) || !requireTool(t, python === 'confluent' ? tools.confluentKafka : tools.kafkaPython)) return;
    const topic = `${prefix}${python}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const values = ['a', 'b', 'c'].map((v) => `${python} ${v}`);
    const result = await runPythonScript<{ produced: number; consumed: string[] }>('secure_roundtrip.py', {
      client: python,
      bootstrap: address,
      protocol: 'SSL',
      topic,
      values,
      ca: ca.caPem,
      cert: certs.alice.cert,
      key: certs.alice.key,
    });
    assert.deepEqual(result, { produced: values.length, consumed: values });
  });
}

test('kafkajs: alice consumes in her group and commits; bob may neither produce nor read her group', async (t) => {
  if (!requireTool(t, openssl)) return;
  const alice = await kafkaAs('alice');
  const producer = alice.producer();
  await producer.connect();
  t.after(() => producer.disconnect());
  await withTimeout(producer.send({ topic: orders, messages: [{ value: 'kafkajs' }] }), 15_000, 'alice send');
  const group = uniqueTopic('alice-app');
  const consumer = alice.consumer({ groupId: group });
  await withTimeout(consumer.connect(), 15_000, 'consumer.connect');
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topic: orders, fromBeginning: true });
  const seen: string[] = [];
  const read = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
        if (seen.includes('kafkajs')) resolve();
      },
    });
  });
  await withTimeout(read, 30_000, 'alice consuming in her group');
  await consumer.stop();
  const committed = await admin.fetchOffsets({ groupId: group, topics: [orders] });
  assert.ok(Number(committed[0].partitions[0].offset) > 0, `alice's group committed: ${JSON.stringify(committed)}`);

  const bob = await kafkaAs('bob');
  const bobProducer = bob.producer();
  await bobProducer.connect();
  t.after(() => bobProducer.disconnect());
  await assert.rejects(withTimeout(bobProducer.send({ topic: orders, messages: [{ value: 'bob' }] }), 15_000, 'bob send'), /Not authorized to access topics/);
  const bobAdmin = bob.admin();
  await bobAdmin.connect();
  t.after(() => bobAdmin.disconnect());
  // FindCoordinator answers GROUP_AUTHORIZATION_FAILED; kafkajs reports any FindCoordinator failure as this.
  await assert.rejects(withTimeout(bobAdmin.fetchOffsets({ groupId: group, topics: [orders] }), 15_000, 'bob fetchOffsets'), /Failed to find group coordinator/);
});

test('@platformatic/kafka: alice produces (idempotent), bob gets the authorization error', async (t) => {
  if (!requireTool(t, openssl)) return;
  const producerAs = async (user: string, idempotent = false) => {
    const producer = new Producer({ clientId: `kb-acl-${user}`, bootstrapBrokers: [address], tls: await nodeTls(user), serializers: stringSerializers, idempotent, retries: 1, retryDelay: 100 });
    t.after(() => producer.close());
    return producer;
  };
  // Idempotent: alice has no IdempotentWrite on the cluster, but Write on some topic (KIP-679).
  await withTimeout((await producerAs('alice', true)).send({ messages: [{ topic: orders, value: 'platformatic' }] }), 15_000, 'alice send');
  await assert.rejects(withTimeout((await producerAs('bob')).send({ messages: [{ topic: orders, value: 'no' }] }), 15_000, 'bob send'), (err: AggregateError) => {
    assert.deepEqual(
      err.errors.map((e: Error) => e.message),
      ['Topic authorization failed.'],
    );
    return true;
  });
});
