/**
 * Client quotas against a real broker: kb quota set|list|delete (entities
 * with defaults, byte units, --json, confirmation), and
 * @platformatic/kafka's AlterClientQuotas and DescribeClientQuotas (a real
 * client's requests: validateOnly, Kafka's error codes, filters); the
 * quotas survive a restart (replayed from the metadata log); a
 * controller_mutation_rate quota throttles the user and client id it
 * names, not another client on the same host; request_percentage
 * throttles any request; a consumer under consumer_byte_rate reads at
 * most a window's worth per Fetch.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { fetchPartition0 } from '../helpers/fetch-request.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';

let dir: string;
let broker: RunningBroker;
const kb = (args: string[]) => runKb(args, { env: { KB_BROKERS: broker.address } });

async function listed(args: string[] = []): Promise<Record<string, Record<string, number>>> {
  const r = await kb(['quota', 'list', '--json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  const quotas: { entity: { entityType: string; entityName: string | null }[]; values: Record<string, number> }[] = JSON.parse(r.stdout).quotas;
  return Object.fromEntries(quotas.map((q) => [q.entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).join(','), q.values]));
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kb-quotas-'));
  broker = await startBroker({ dataDir: path.join(dir, 'data') });
});
after(async () => {
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('kb quota set, list and delete, with defaults and byte units', async () => {
  const set = await kb(['quota', 'set', '--user', 'alice', '--producer-byte-rate', '1MB', '--consumer-byte-rate', '512KB']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, 'set producer_byte_rate=1048576, consumer_byte_rate=524288 for user=alice\n');
  const both = await kb(['quota', 'set', '--user', 'alice', '--client-id', 'reports', '--request-percentage', '25', '--json']);
  assert.equal(both.code, 0, both.stderr);
  assert.deepEqual(JSON.parse(both.stdout), {
    entity: [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: 'reports' }],
    values: { request_percentage: 25 },
  });
  assert.equal((await kb(['quota', 'set', '--default', 'user', '--default', 'client-id', '--controller-mutation-rate', '5'])).code, 0);
  assert.equal((await kb(['quota', 'set', '--default', 'client-id', '--producer-byte-rate', '100'])).code, 0);

  assert.deepEqual(await listed(), {
    'client-id=<default>': { producer_byte_rate: 100 },
    'user=<default>,client-id=<default>': { controller_mutation_rate: 5 },
    'user=alice': { producer_byte_rate: 1048576, consumer_byte_rate: 524288 },
    'user=alice,client-id=reports': { request_percentage: 25 },
  });
  assert.deepEqual(Object.keys(await listed(['--user', 'alice'])), ['user=alice', 'user=alice,client-id=reports']);
  const table = await kb(['quota', 'list', '--default', 'client-id']);
  assert.match(table.stdout, /ENTITY\s+QUOTAS/);
  assert.match(table.stdout, /client-id=<default>\s+producer_byte_rate=100/);

  const usage = await kb(['quota', 'set', '--user', 'alice', '--producer-byte-rate', 'fast']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--producer-byte-rate fast: expected bytes per second, e.g. 1048576, 512KB or 1MB/);
  const noEntity = await kb(['quota', 'set', '--producer-byte-rate', '1MB']);
  assert.equal(noEntity.code, 2);
  assert.match(noEntity.stderr, /name the entity/);

  const unconfirmed = await kb(['quota', 'delete', '--user', 'alice']);
  assert.equal(unconfirmed.code, 2);
  assert.match(unconfirmed.stderr, /add --yes/);
  const one = await kb(['quota', 'delete', '--user', 'alice', '--key', 'consumer_byte_rate', '--yes']);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, 'deleted consumer_byte_rate of user=alice\n');
  assert.equal((await kb(['quota', 'delete', '--default', 'client-id', '--yes'])).code, 0);
  const none = await kb(['quota', 'delete', '--default', 'client-id', '--yes']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /client-id=<default> has no client quota to delete/);
  assert.deepEqual(await listed(['--user', 'alice']), { 'user=alice': { producer_byte_rate: 1048576 }, 'user=alice,client-id=reports': { request_percentage: 25 } });
});

test("@platformatic/kafka's AlterClientQuotas and DescribeClientQuotas: validateOnly, Kafka's errors, filters; quotas survive a restart", async () => {
  const admin = new Admin({ clientId: 'kb-quota-test', bootstrapBrokers: [broker.address], retries: 0 });
  try {
    const entity = [{ entityType: 'user' as const, entityName: 'bob' }, { entityType: 'client-id' as const, entityName: 'etl' }];
    const validated = await admin.alterClientQuotas({ entries: [{ entities: entity, ops: [{ key: 'consumer_byte_rate', value: 2048, remove: false }] }], validateOnly: true });
    assert.deepEqual(validated.map((e) => e.errorCode), [ErrorCode.NONE]);
    const exact = [{ entityType: 'user' as const, matchType: 0 as const, match: 'bob' }];
    assert.deepEqual(await admin.describeClientQuotas({ components: exact }), [], 'validateOnly changed nothing');

    await admin.alterClientQuotas({ entries: [{ entities: entity, ops: [{ key: 'consumer_byte_rate', value: 2048, remove: false }] }] });
    const described = await admin.describeClientQuotas({ components: exact });
    assert.deepEqual(described, [{ entity, values: [{ key: 'consumer_byte_rate', value: 2048 }] }]);
    assert.deepEqual(await admin.describeClientQuotas({ components: exact, strict: true }), [], 'strict: bob alone has no quota');

    await assert.rejects(
      admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'user', entityName: 'bob' }], ops: [{ key: 'producer_byte_rate', value: 1.5, remove: false }] }] }),
      (err: { errors: { response: { entries: { errorCode: number; errorMessage: string }[] } }[] }) => {
        assert.deepEqual(err.errors[0].response.entries.map((e) => [e.errorCode, e.errorMessage]), [[ErrorCode.INVALID_REQUEST, 'Configuration producer_byte_rate must be a Long value, got 1.5']]);
        return true;
      },
    );
  } finally {
    await admin.close();
  }

  await broker.stop();
  broker = await startBroker({ dataDir: path.join(dir, 'data') });
  assert.deepEqual((await listed(['--user', 'bob']))['user=bob,client-id=etl'], { consumer_byte_rate: 2048 });
});

test('a controller_mutation_rate quota throttles the user and client id it names, not another client on the same host', async (t) => {
  // RawClient's client id, unauthenticated (User:ANONYMOUS): this entity comes first in Kafka's precedence
  // (the first test's <default> user and client-id entity would apply to a client-id entity alone).
  // 1 partition per second, a burst of 11 (controller.quota.window.num x size).
  assert.equal((await kb(['quota', 'set', '--user', 'ANONYMOUS', '--client-id', 'raw-test', '--controller-mutation-rate', '1'])).code, 0);
  const create = async (name: string, numPartitions: number) => {
    // A connection each: a throttled one is muted for the throttle time.
    const client = await RawClient.connect(broker.host, broker.port);
    t.after(() => client.close());
    return client.request(19, 7, { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
  };
  const burst = await create('mutations-1', 40);
  assert.equal(burst.topics[0].errorCode, ErrorCode.NONE);
  assert.ok(burst.throttleTimeMs > 20_000, `the bucket is overdrawn by 29: throttle ${burst.throttleTimeMs} ms`);
  const other = await kb(['topic', 'create', 'mutations-other', '--partitions', '3']);
  assert.equal(other.code, 0, other.stderr);
  const throttled = await create('mutations-2', 1);
  assert.equal(throttled.topics[0].errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED);
  assert.match(throttled.topics[0].errorMessage, /controller_mutation_rate quota exceeded: retry in \d+ ms/);
});

test('a request_percentage quota throttles the time a client takes of the broker, in any request', async (t) => {
  // A millionth of the broker's thread: the first Metadata request is over it.
  assert.equal((await kb(['quota', 'set', '--user', 'ANONYMOUS', '--client-id', 'raw-test', '--request-percentage', '0.0001'])).code, 0);
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  const metadata = await client.request(3, 9, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  assert.ok(metadata.throttleTimeMs > 0, `throttle ${metadata.throttleTimeMs} ms`);
  const other = await kb(['topic', 'list']);
  assert.equal(other.code, 0, 'another client is served meanwhile');
});

test('a consumer under a consumer_byte_rate quota reads at most what its quota allows in a window per Fetch, but a batch', async (t) => {
  // 1000 B/s over Kafka's default window of 11 x 1 s: 11 000 bytes a Fetch.
  assert.equal((await kb(['quota', 'set', '--user', 'ANONYMOUS', '--client-id', 'fetch-test', '--consumer-byte-rate', '1000'])).code, 0);
  const values = Array.from({ length: 40 }, () => 'v'.repeat(1000)).join('\n');
  await kcatOk(['-b', broker.address, '-P', '-t', 'fetch-quota', '-X', 'linger.ms=0', '-X', 'batch.num.messages=1'], { input: `${values}\n` });
  const client = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }], clientId: 'fetch-test', requestTimeoutMs: 15_000 });
  t.after(() => client.close());
  const connection = await client.connection(broker.host, broker.port);
  const fetched = await connection.request(ApiKeys.Fetch, 11, fetchPartition0('fetch-quota', 50 * 1024 * 1024, { partitionMaxBytes: 1024 * 1024 }));
  const read = fetched.responses[0].partitions[0].records!.length;
  assert.ok(read > 0 && read <= 11_000, `one Fetch read ${read} bytes`);
});
