/**
 * `kb cluster up --secure` (#24): a 3-node local cluster with a CA and node
 * certificates made by openssl, a SASL_SSL client listener, mTLS peers, the
 * authorizer on and a first user whose generated password is in a 0600
 * file; the profile it writes makes plain `kb topic create`, `kb produce`
 * and `kb consume` work, kcat works with the printed settings, and an
 * anonymous plaintext client is refused; `kb cluster down --purge`
 * removes it all. Without openssl it says so.
 *
 * Forwarded requests keep their principal (#25): a user without ACLs,
 * connected to a node that is not the controller, is refused every admin
 * API that node forwards to the controller (CreateTopics, DeleteTopics,
 * CreatePartitions, IncrementalAlterConfigs, CreateAcls,
 * AlterClientQuotas, AlterUserScramCredentials, and topic auto-creation
 * through Metadata), while the super user is served through the same node.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runKb } from '../helpers/cli.ts';
import { kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { openssl } from '../helpers/tls.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { Cluster } from '../../src/client/cluster.ts';
import type { BrokerConnection } from '../../src/net/connection.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../src/protocol/acl.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { saltedPassword, scramMechanismNamed } from '../../src/protocol/scram.ts';

const fastQuorum = ['--set', 'controller.quorum.election.timeout.ms=300', '--set', 'controller.quorum.fetch.timeout.ms=1000'];

interface SecureRecord {
  bootstrap: string;
  nodes: { nodeId: number; port: number }[];
  secure: { profile: string; user: string; passwordFile: string; config: Record<string, string> };
}

test('kb cluster up --secure: kb through its profile and kcat through its settings work, anonymous plaintext is refused, forwarded admin requests are authorized as their client', { timeout: 240_000 }, async (t) => {
  if (!requireTool(t, openssl) || !requireTool(t, tools.kcat)) return;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-secure-up-'));
  const clusterDir = path.join(dir, 'cluster');
  const withProfile = { XDG_CONFIG_HOME: path.join(dir, 'config') };
  t.after(async () => {
    await runKb(['cluster', 'down', '--data-dir', clusterDir], { timeoutMs: 60_000 });
    await rm(dir, { recursive: true, force: true });
  });
  const kb = async (args: string[], env: NodeJS.ProcessEnv = withProfile, input?: string) => {
    const result = await runKb(args, { env, input, timeoutMs: 60_000 });
    assert.equal(result.code, 0, `kb ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };

  const up = await runKb(['cluster', 'up', '--secure', '--nodes', '3', '--base-port', '0', '--data-dir', clusterDir, ...fastQuorum, '--json'], { env: withProfile, timeoutMs: 120_000 });
  assert.equal(up.code, 0, up.stderr);
  const record = JSON.parse(up.stdout) as SecureRecord;
  assert.equal(record.secure.user, 'admin');
  assert.equal((await stat(record.secure.passwordFile)).mode & 0o777, 0o600);
  const password = (await readFile(record.secure.passwordFile, 'utf8')).trim();
  assert.ok(password.length >= 24, 'a generated password');
  assert.doesNotMatch(up.stdout, new RegExp(password), 'the password itself is never printed');

  // kb through the profile it wrote, without any setting of its own.
  await kb(['topic', 'create', 'secure-orders', '--partitions', '2', '--rf', '3']);
  await kb(['produce', 'secure-orders'], withProfile, 'one\ntwo\n');
  // kcat through the printed settings.
  const kcatSettings = [...Object.entries(record.secure.config).flatMap(([key, value]) => ['-X', `${key}=${value}`]), '-X', `sasl.password=${password}`];
  await kcatOk(['-b', record.bootstrap, '-P', '-t', 'secure-orders', ...kcatSettings], { input: 'three\n' });
  const viaKb = (await kb(['consume', 'secure-orders', '-e'])).trim().split('\n').sort();
  assert.deepEqual(viaKb, ['one', 'three', 'two']);
  const viaKcat = (await kcatConsumeAll(record.bootstrap, 'secure-orders', kcatSettings)).map((r) => r.value).sort();
  assert.deepEqual(viaKcat, ['one', 'three', 'two']);

  // Anonymous plaintext is refused: no profile, no settings.
  const anonymous = await runKb(['topic', 'list', '-b', record.bootstrap], { timeoutMs: 60_000 });
  assert.equal(anonymous.code, 1);
  assert.match(anonymous.stderr, /closed the connection without answering ApiVersions: if it is a TLS listener, connect with security\.protocol=SSL/);

  // A user without ACLs, on a node that is not the controller, gets nothing authorized as the node's.
  await kb(['user', 'create', 'bob'], { ...withProfile, KB_PASSWORD: 'bob secret' });
  const quorum = JSON.parse(await kb(['cluster', 'quorum', '--json'])) as { leaderId: number };
  const other = record.nodes.find((n) => n.nodeId !== quorum.leaderId)!;
  const connect = async (username: string, secret: string): Promise<BrokerConnection> => {
    const client = new Cluster({
      bootstrap: [{ host: '127.0.0.1', port: other.port }],
      clientId: 'secure-up-test',
      requestTimeoutMs: 30_000,
      security: {
        tls: { ca: await readFile(record.secure.config['ssl.ca.location']) },
        sasl: { mechanism: 'SCRAM-SHA-512', username, password: secret },
      },
    });
    t.after(() => client.close());
    return client.connection('127.0.0.1', other.port);
  };
  const bob = await connect('bob', 'bob secret');
  const topicFailed = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  const clusterFailed = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;

  const newTopic = (name: string) => ({ topics: [{ name, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false });
  assert.equal((await bob.request(ApiKeys.CreateTopics, 7, newTopic('bob-topic'))).topics[0].errorCode, topicFailed, 'CreateTopics');
  const deleted = await bob.request(ApiKeys.DeleteTopics, 5, { topics: [], topicNames: ['secure-orders'], timeoutMs: 30_000 });
  assert.equal(deleted.responses[0].errorCode, topicFailed, 'DeleteTopics');
  const grown = await bob.request(ApiKeys.CreatePartitions, 3, { topics: [{ name: 'secure-orders', count: 4, assignments: null }], timeoutMs: 30_000, validateOnly: false });
  assert.equal(grown.results[0].errorCode, topicFailed, 'CreatePartitions');
  const altered = await bob.request(ApiKeys.IncrementalAlterConfigs, 1, {
    resources: [{ resourceType: 2, resourceName: 'secure-orders', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] }],
    validateOnly: false,
  });
  assert.equal(altered.responses[0].errorCode, topicFailed, 'IncrementalAlterConfigs');
  const acl = await bob.request(ApiKeys.CreateAcls, 3, {
    creations: [{ resourceType: ResourceType.TOPIC, resourceName: '*', resourcePatternType: PatternType.LITERAL, principal: 'User:bob', host: '*', operation: AclOperation.ALL, permissionType: AclPermission.ALLOW }],
  });
  assert.equal(acl.results[0].errorCode, clusterFailed, 'CreateAcls');
  const quota = await bob.request(ApiKeys.AlterClientQuotas, 1, { entries: [{ entity: [{ entityType: 'user', entityName: 'bob' }], ops: [{ key: 'producer_byte_rate', value: 1e9, remove: false }] }], validateOnly: false });
  assert.equal(quota.entries[0].errorCode, clusterFailed, 'AlterClientQuotas');
  const salt = randomBytes(32);
  const salted = await saltedPassword(scramMechanismNamed('SCRAM-SHA-512')!, 'taken over', salt, 4096, { stored: true });
  const scram = await bob.request(ApiKeys.AlterUserScramCredentials, 0, { deletions: [], upsertions: [{ name: 'admin', mechanism: 2, iterations: 4096, salt, saltedPassword: salted }] });
  assert.equal(scram.results[0].errorCode, clusterFailed, 'AlterUserScramCredentials');
  const autoCreated = await bob.request(ApiKeys.Metadata, 9, { topics: [{ name: 'bob-auto', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  assert.equal(autoCreated.topics[0].errorCode, topicFailed, 'Metadata auto-creation');

  // The super user is served through the same node, and nothing bob asked for happened.
  const admin = await connect('admin', password);
  assert.equal((await admin.request(ApiKeys.CreateTopics, 7, newTopic('admin-topic'))).topics[0].errorCode, ErrorCode.NONE);
  const topics = (JSON.parse(await kb(['topic', 'list', '--json'])) as { topics: { name: string; partitions: number }[] }).topics;
  assert.deepEqual(topics.map((tp) => tp.name).sort(), ['admin-topic', 'secure-orders']);
  assert.equal(topics.find((tp) => tp.name === 'secure-orders')!.partitions, 2);
  assert.equal((await kb(['acl', 'list', '--json'])).includes('User:bob'), false);
  await kb(['topic', 'list']); // admin's password still works

  await kb(['cluster', 'down', '--purge', '--data-dir', clusterDir]);
  await assert.rejects(stat(clusterDir), 'down --purge removes the certificates and the password too');
});

test('kb cluster up --secure without openssl on the PATH says it needs openssl, and starts nothing', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-secure-up-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const up = await runKb(['cluster', 'up', '--secure', '--nodes', '1', '--base-port', '0', '--data-dir', dir], { env: { PATH: path.join(dir, 'no-tools') } });
  assert.equal(up.code, 1, up.stderr);
  assert.match(up.stderr, /makes its certificates with openssl, which is not on the PATH: install it/);
  await assert.rejects(stat(path.join(dir, 'cluster.json')), 'no cluster recorded');
});
