/**
 * ACLs enforced against real clients on a real `kb broker start` with the
 * authorizer on (Kafka's class name, as existing configs have it) and
 * allow.everyone.if.no.acl.found=true. Until connections authenticate
 * (issue #24), every client is User:ANONYMOUS, so the ACLs name it (or
 * User:*): kafkajs creates, describes and deletes ACLs over CreateAcls,
 * DescribeAcls and DeleteAcls; kcat, kafkajs and @platformatic/kafka
 * produce to an allowed topic and get the client's authorization error
 * (not a hang, not a disconnect loop) for a topic a prefixed DENY covers
 * and for one they may only read (Describe implied, Write not),
 * and a deny-overrides-allow (Read denied, Write allowed) topic serves
 * writes but no reads; Metadata of all topics hides the undescribable
 * topics. `kb acl` lists, checks and deletes what the clients made.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { kcat, kcatOk } from '../helpers/kcat.ts';
import { uniqueTopic, withTimeout } from '../helpers/records.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../src/protocol/acl.ts';

let broker: RunningBroker;
let kafka: Kafka;
let admin: Admin;
const open = uniqueTopic('acl-open');
const secret = uniqueTopic('acl-secret');
const readOnly = uniqueTopic('acl-read-only');
const prefix = `acl-pay-${Date.now().toString(36)}-`;
const paid = `${prefix}1`;
const kb = (args: string[]) => runKb(args, { env: { KB_BROKERS: broker.address } });
const anonymous = 'User:ANONYMOUS';

before(async () => {
  broker = await startBroker({ sets: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found': true } });
  kafka = new Kafka({ clientId: 'kb-acls', brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 100 } });
  admin = kafka.admin();
  await withTimeout(admin.connect(), 15_000, 'admin.connect');
  // The topics exist before any ACL names them: the cluster has no ACL, so creating them is allowed to everyone.
  await withTimeout(admin.createTopics({ topics: [open, secret, paid, readOnly].map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true }), 20_000, 'createTopics');
  const allow = AclPermission.ALLOW;
  const literal = PatternType.LITERAL;
  const topicAcl = (resourceName: string, operation: number, permissionType: number = allow, resourcePatternType: number = literal, principal = anonymous) => ({
    resourceType: ResourceType.TOPIC,
    resourceName,
    resourcePatternType,
    principal,
    host: '*',
    operation,
    permissionType,
  });
  await admin.createAcls({
    acl: [
      topicAcl(open, AclOperation.ALL),
      topicAcl(readOnly, AclOperation.READ),
      topicAcl(secret, AclOperation.WRITE),
      topicAcl(secret, AclOperation.READ),
      topicAcl(secret, AclOperation.READ, AclPermission.DENY),
      topicAcl(prefix, AclOperation.ALL, AclPermission.DENY, PatternType.PREFIXED, 'User:*'),
    ],
  } as Parameters<Admin['createAcls']>[0]);
});
after(async () => {
  await admin?.disconnect();
  await broker?.stop();
});

test('kafkajs reads back the ACLs it created, and kb acl list shows them', async () => {
  const described = await admin.describeAcls({ resourceType: ResourceType.TOPIC, resourcePatternType: PatternType.ANY, operation: AclOperation.ANY, permissionType: AclPermission.ANY } as Parameters<Admin['describeAcls']>[0]);
  const names = described.resources.map((r) => `${r.resourceName}/${r.resourcePatternType}/${r.acls.length}`).sort();
  assert.deepEqual(names, [`${open}/${PatternType.LITERAL}/1`, `${prefix}/${PatternType.PREFIXED}/1`, `${secret}/${PatternType.LITERAL}/3`, `${readOnly}/${PatternType.LITERAL}/1`].sort());
  const listed = await kb(['acl', 'list', '--topic', paid, '--resource-pattern-type', 'match', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).acls, [
    { principal: 'User:*', host: '*', resourceType: 'TOPIC', resourceName: prefix, patternType: 'PREFIXED', operation: 'ALL', permission: 'DENY' },
  ]);
});

test('kcat: produces to an allowed topic; a denied one fails with Topic authorization failed; a deny on Read beats the allow', async () => {
  await kcatOk(['-b', broker.address, '-P', '-t', open], { input: 'a\n' });
  const denied = await kcat(['-b', broker.address, '-P', '-t', paid], { input: 'b\n' });
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Topic authorization failed/);
  await kcatOk(['-b', broker.address, '-P', '-t', secret], { input: 's\n' });
  const read = await kcat(['-b', broker.address, '-C', '-t', secret, '-o', 'beginning', '-e']);
  assert.notEqual(read.code, 0);
  assert.match(read.stderr, /Topic authorization failed/);
  // Read implies Describe: Metadata answers, and Produce itself refuses.
  const readOnlyProduce = await kcat(['-b', broker.address, '-P', '-t', readOnly], { input: 'r\n' });
  assert.notEqual(readOnlyProduce.code, 0);
  assert.match(readOnlyProduce.stderr, /Topic authorization failed/);
  const readOpen = await kcatOk(['-b', broker.address, '-C', '-t', open, '-o', 'beginning', '-e', '-q']);
  assert.equal(readOpen.stdout, 'a\n');
});

test('Metadata of all topics hides the topics the principal may not describe', async () => {
  const listed = await kcatOk(['-b', broker.address, '-L', '-J']);
  const topics: string[] = JSON.parse(listed.stdout).topics.map((t: { topic: string }) => t.topic);
  assert.ok(topics.includes(open) && topics.includes(secret), topics.join(' '));
  assert.ok(!topics.includes(paid), `${paid} is hidden`);
  assert.ok(!(await admin.listTopics()).includes(paid), 'kafkajs listTopics hides it too');
});

test('auto-creating a topic needs Create on the cluster or the topic: refused where a DENY covers the topic, done where no ACL names it', async () => {
  const denied = `acl-auto-no-${Date.now().toString(36)}`;
  const allowed = uniqueTopic('acl-auto-yes');
  // The cluster gets ACLs (so Create on it is no longer everyone's), keeping ANONYMOUS's right to manage ACLs.
  for (const args of [
    ['--allow-principal', anonymous, '--operation', 'alter,describe', '--cluster'],
    ['--deny-principal', anonymous, '--operation', 'create', '--topic', 'acl-auto-no-', '--resource-pattern-type', 'prefixed'],
    ['--allow-principal', anonymous, '--operation', 'describe', '--topic', 'acl-auto-no-', '--resource-pattern-type', 'prefixed'],
  ]) {
    const created = await kb(['acl', 'create', ...args]);
    assert.equal(created.code, 0, created.stderr);
  }
  const refused = await kcat(['-b', broker.address, '-P', '-t', denied], { input: 'x\n' });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Topic authorization failed/);
  await kcatOk(['-b', broker.address, '-P', '-t', allowed], { input: 'y\n' });
  const topics = await admin.listTopics();
  assert.ok(topics.includes(allowed), `${allowed} was auto-created`);
  assert.ok(!topics.includes(denied), `${denied} was not`);
  for (const args of [['--topic', 'acl-auto-no-', '--resource-pattern-type', 'prefixed'], ['--cluster']]) {
    const removed = await kb(['acl', 'delete', ...args, '--yes']);
    assert.equal(removed.code, 0, removed.stderr);
  }
});

test('kafkajs and @platformatic/kafka producers get the authorization error for a denied topic, and succeed on an allowed one', async (t) => {
  const producer = kafka.producer();
  await producer.connect();
  t.after(() => producer.disconnect());
  await withTimeout(producer.send({ topic: open, messages: [{ value: 'kafkajs' }] }), 15_000, 'kafkajs send allowed');
  await assert.rejects(withTimeout(producer.send({ topic: paid, messages: [{ value: 'no' }] }), 15_000, 'kafkajs send denied'), /Not authorized to access topics: \[Topic authorization failed\]/);

  const platformatic = new Producer({ clientId: 'kb-acls', bootstrapBrokers: [broker.address], serializers: stringSerializers, retries: 1, retryDelay: 100 });
  t.after(() => platformatic.close());
  await withTimeout(platformatic.send({ messages: [{ topic: open, value: 'platformatic' }] }), 15_000, 'platformatic send allowed');
  await assert.rejects(withTimeout(platformatic.send({ messages: [{ topic: paid, value: 'no' }] }), 15_000, 'platformatic send denied'), (err: AggregateError) => {
    assert.deepEqual(
      err.errors.map((e: Error) => e.message),
      ['Topic authorization failed.'],
    );
    return true;
  });
});

test('kb acl check explains the decision; kafkajs deletes ACLs with a filter and they stop applying', async () => {
  const denied = await kb(['acl', 'check', anonymous, 'read', 'topic', secret]);
  assert.equal(denied.code, 1);
  assert.equal(denied.stdout, `DENIED: ${anonymous} READ TOPIC '${secret}': denied by ACL DENY ${anonymous} from * to READ TOPIC LITERAL '${secret}'\n`);
  const allowed = await kb(['acl', 'check', 'ANONYMOUS', 'describe', 'topic', secret]);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stdout, /^ALLOWED: .* allowed by ACL ALLOW User:ANONYMOUS from \* to (WRITE|READ) TOPIC LITERAL/);
  const noAcl = await kb(['acl', 'check', 'bob', 'alter', 'cluster', '--json']);
  assert.deepEqual(JSON.parse(noAcl.stdout), { allowed: true, reason: 'no ACL applies to the resource, and allow.everyone.if.no.acl.found=true', acl: null });

  const filter = { resourceType: ResourceType.TOPIC, resourceName: secret, resourcePatternType: PatternType.LITERAL, operation: AclOperation.READ, permissionType: AclPermission.DENY };
  const deleted = await admin.deleteAcls({ filters: [filter] } as Parameters<Admin['deleteAcls']>[0]);
  assert.equal(deleted.filterResponses[0].matchingAcls.length, 1);
  const read = await kcatOk(['-b', broker.address, '-C', '-t', secret, '-o', 'beginning', '-e', '-q']);
  assert.equal(read.stdout, 's\n', 'with the deny gone, the allow on Read applies');
});

test('kb acl delete shows what would go, asks for --yes without a terminal, and deletes', async () => {
  const dry = await kb(['acl', 'delete', '--topic', secret, '--dry-run', '--json']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(JSON.parse(dry.stdout).deleted.length, 2);
  const unconfirmed = await kb(['acl', 'delete', '--topic', secret]);
  assert.equal(unconfirmed.code, 2);
  assert.match(unconfirmed.stderr, /add --yes/);
  const everything = await kb(['acl', 'delete', '--yes']);
  assert.equal(everything.code, 2, 'deleting every ACL takes --all');
  const done = await kb(['acl', 'delete', '--topic', secret, '--yes']);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /deleted 2 ACLs/);
  const left = JSON.parse((await kb(['acl', 'list', '--json'])).stdout).acls.map((a: { resourceName: string }) => a.resourceName);
  assert.deepEqual(left.sort(), [open, prefix, readOnly].sort());
});
