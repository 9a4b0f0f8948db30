/**
 * Bounds on what clients make the controller create, over the wire to real
 * brokers with the limits set low, while kcat keeps producing and consuming:
 * - auto.create.topics.max.per.request: one Metadata request naming many
 *   new topics creates only that many (logged), and answers promptly;
 * - max.broker.partitions: CreateTopics, CreatePartitions and
 *   auto-creation beyond it are refused (POLICY_VIOLATION naming the limit);
 * - controller.mutation.rate (KIP-599): a client past its burst gets
 *   THROTTLING_QUOTA_EXCEEDED with a throttle time, for creations and
 *   deletions, until its bucket refills; a client at another address is not
 *   throttled meanwhile.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const api = { metadata: 3, createTopics: 19, deleteTopics: 20, createPartitions: 37 };

async function connect(t: TestContext, broker: RunningBroker, localAddress?: string): Promise<RawClient> {
  const c = await RawClient.connect(broker.host, broker.port, localAddress);
  t.after(() => c.close());
  return c;
}

const metadataOf = (c: RawClient, names: string[] | null, allowAutoTopicCreation = true) =>
  c.request(api.metadata, 9, {
    topics: names === null ? null : names.map((name) => ({ name })),
    allowAutoTopicCreation,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });

const createTopics = (c: RawClient, topics: { name: string; partitions: number }[]) =>
  c.request(api.createTopics, 7, {
    topics: topics.map((t) => ({ name: t.name, numPartitions: t.partitions, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 10_000,
    validateOnly: false,
  });

/** kcat produces three records to a new topic and reads them back. */
async function kcatServed(broker: RunningBroker, topic: string): Promise<void> {
  await kcatOk(['-b', broker.address, '-P', '-t', topic], { input: 'a\nb\nc\n' });
  const read = await kcatOk(['-b', broker.address, '-C', '-t', topic, '-o', 'beginning', '-c', '3', '-e', '-q']);
  assert.deepEqual(read.stdout.trim().split('\n'), ['a', 'b', 'c']);
}

test('one Metadata request auto-creates at most auto.create.topics.max.per.request topics, promptly', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const perRequestMax = 50;
  const broker = await startBroker({ sets: { 'auto.create.topics.max.per.request': perRequestMax } });
  t.after(() => broker.stop());
  const c = await connect(t, broker);
  const names = Array.from({ length: 2_000 }, (_, i) => `auto-${i}`);
  const started = performance.now();
  const [answer] = await Promise.all([metadataOf(c, names), kcatServed(broker, 'served-while-creating')]);
  const elapsedMs = performance.now() - started;
  // Created topics are answered LEADER_NOT_AVAILABLE (as Kafka: clients ask again), the others UNKNOWN_TOPIC_OR_PARTITION.
  const created = answer.topics.filter((topic: any) => topic.errorCode === ErrorCode.LEADER_NOT_AVAILABLE).map((topic: any) => topic.name);
  assert.deepEqual(created, names.slice(0, perRequestMax), 'the first names, no more');
  assert.ok(elapsedMs < 15_000, `answered in ${Math.round(elapsedMs)} ms`);
  const all = await metadataOf(c, null);
  assert.equal(all.topics.filter((topic: any) => topic.name.startsWith('auto-')).length, perRequestMax);
  assert.match(broker.log(), /Metadata from 127\.0\.0\.1:\d+ names 2000 topics to auto-create: creating the first 50 \(auto\.create\.topics\.max\.per\.request\)/);
});

test('max.broker.partitions bounds the partitions a broker hosts: creating, adding and auto-creating beyond it are refused', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  // __consumer_offsets is not created here (no group is used), so the limit is all the clients'.
  const broker = await startBroker({ sets: { 'max.broker.partitions': 30 } });
  t.after(() => broker.stop());
  const c = await connect(t, broker);
  const first = await createTopics(c, [{ name: 'first', partitions: 20 }, { name: 'second', partitions: 20 }]);
  assert.deepEqual(first.topics.map((r: any) => [r.name, r.errorCode]), [['first', ErrorCode.NONE], ['second', ErrorCode.POLICY_VIOLATION]]);
  assert.match(first.topics[1].errorMessage, /broker 1 would host 40 partition replicas, more than max\.broker\.partitions=30/);
  const grown = await c.request(api.createPartitions, 3, { topics: [{ name: 'first', count: 31, assignments: null }], timeoutMs: 10_000, validateOnly: false });
  assert.equal(grown.results[0].errorCode, ErrorCode.POLICY_VIOLATION);
  const fits = await createTopics(c, [{ name: 'fits', partitions: 9 }]);
  assert.equal(fits.topics[0].errorCode, ErrorCode.NONE, 'up to the limit is fine');
  await kcatServed(broker, 'last-one');
  const auto = await metadataOf(c, ['one-too-many']);
  assert.equal(auto.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'auto-creation is bounded too');
  const all = await metadataOf(c, null);
  assert.equal(all.topics.reduce((sum: number, topic: any) => sum + topic.partitions.length, 0), 30);
});

test('controller.mutation.rate throttles a client past its burst with THROTTLING_QUOTA_EXCEEDED and a throttle time, until it refills', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  // 10 partitions per second, a burst of 20.
  const broker = await startBroker({ sets: { 'controller.mutation.rate': 10, 'controller.quota.window.num': 2 } });
  t.after(() => broker.stop());
  const hostile = await connect(t, broker);
  const burst = await createTopics(hostile, [{ name: 'burst-1', partitions: 15 }, { name: 'burst-2', partitions: 15 }, { name: 'burst-3', partitions: 1 }]);
  // 20 tokens: the first topic leaves 5, the second takes the bucket to -10, the third is refused.
  assert.deepEqual(burst.topics.map((r: any) => r.errorCode), [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.THROTTLING_QUOTA_EXCEEDED]);
  assert.match(burst.topics[2].errorMessage, /controller\.mutation\.rate exceeded: retry in \d+ ms/);
  assert.ok(burst.throttleTimeMs > 0 && burst.throttleTimeMs <= 1_000, `throttle time ${burst.throttleTimeMs} ms`);
  // The throttled connection is muted for the throttle time (as Kafka): count on another from the same host.
  const sameHost = await connect(t, broker);
  const deletion = await sameHost.request(api.deleteTopics, 6, { topics: [{ name: 'burst-1', topicId: Buffer.alloc(16) }], topicNames: [], timeoutMs: 10_000 });
  assert.equal(deletion.responses[0].errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'deletions count too');
  assert.ok(deletion.throttleTimeMs > 0);

  // Another client host is not throttled by this one, and kcat is served throughout.
  const other = await connect(t, broker, '127.0.0.2');
  const fromOther = await createTopics(other, [{ name: 'other', partitions: 1 }]);
  assert.equal(fromOther.topics[0].errorCode, ErrorCode.NONE);
  await kcatServed(broker, 'served-while-throttled');

  // Once the bucket is back above zero (about a second), the client may mutate again.
  const deadline = Date.now() + 20_000;
  let retried = await createTopics(hostile, [{ name: 'burst-3', partitions: 1 }]);
  while (retried.topics[0].errorCode === ErrorCode.THROTTLING_QUOTA_EXCEEDED && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(50, retried.throttleTimeMs)));
    retried = await createTopics(hostile, [{ name: 'burst-3', partitions: 1 }]);
  }
  assert.equal(retried.topics[0].errorCode, ErrorCode.NONE);
});
