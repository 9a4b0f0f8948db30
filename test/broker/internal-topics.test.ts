/**
 * Internal topics over the wire, on a voter (node 1, the active controller)
 * and a broker-only node (node 2, which forwards controller requests):
 * clients cannot create __consumer_offsets (nor __transaction_state or
 * __cluster_metadata) before first use, directly or through forwarding,
 * so the group coordinator creates it with its own shape and configs; then
 * clients cannot delete it, add partitions, alter its configs or delete its
 * records, and committed offsets stay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../helpers/cluster.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const api = { metadata: 3, offsetCommit: 8, offsetFetch: 9, findCoordinator: 10, createTopics: 19, deleteTopics: 20, deleteRecords: 21, describeConfigs: 32, alterConfigs: 33, createPartitions: 37, incrementalAlterConfigs: 44 };
const topicResource = 2;
const offsetsPartitions = 3;

test('clients cannot create, delete, grow, reconfigure or truncate internal topics; the coordinator creates __consumer_offsets its way', async (t) => {
  const cluster = await startCluster({ nodes: 1, sets: { 'offsets.topic.num.partitions': offsetsPartitions, 'group.initial.rebalance.delay.ms': 0 } });
  t.after(() => cluster.stop());
  await cluster.addBroker();
  const connect = async (id: number) => {
    const node = cluster.node(id);
    const c = await RawClient.connect(node.host, node.port);
    t.after(() => c.close());
    return c;
  };
  const controller = await connect(1);
  const forwarding = await connect(2);

  const shaped = { numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'delete' }] };
  for (const c of [controller, forwarding]) {
    const created = await c.request(api.createTopics, 7, {
      topics: ['__consumer_offsets', '__transaction_state', '__cluster_metadata'].map((name) => ({ name, ...shaped })),
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.deepEqual(
      created.topics.map((r: any) => [r.name, r.errorCode]),
      [['__consumer_offsets', ErrorCode.INVALID_REQUEST], ['__transaction_state', ErrorCode.INVALID_REQUEST], ['__cluster_metadata', ErrorCode.INVALID_REQUEST]],
    );
    assert.match(created.topics[0].errorMessage, /creation of internal topic '__consumer_offsets' is prohibited/);
  }

  // First use, through the broker-only node: its coordinator has the controller create the topic.
  const found = await forwarding.request(api.findCoordinator, 3, { key: 'g', keyType: 0, coordinatorKeys: [] });
  assert.equal(found.errorCode, ErrorCode.NONE, found.errorMessage);
  const metadata = await controller.request(api.metadata, 9, { topics: [{ name: '__consumer_offsets' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const offsetsTopic = metadata.topics[0];
  assert.deepEqual([offsetsTopic.errorCode, offsetsTopic.isInternal, offsetsTopic.partitions.length], [ErrorCode.NONE, true, offsetsPartitions]);
  const cleanupPolicy = async () => {
    const described = await controller.request(api.describeConfigs, 4, {
      resources: [{ resourceType: topicResource, resourceName: '__consumer_offsets', configurationKeys: ['cleanup.policy'] }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    return described.results[0].configs.find((c: any) => c.name === 'cleanup.policy').value;
  };
  assert.equal(await cleanupPolicy(), 'compact');

  for (const c of [controller, forwarding]) {
    const altered = await c.request(api.alterConfigs, 2, {
      resources: [{ resourceType: topicResource, resourceName: '__consumer_offsets', configs: [{ name: 'cleanup.policy', value: 'delete' }] }],
      validateOnly: false,
    });
    assert.equal(altered.responses[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const incremental = await c.request(api.incrementalAlterConfigs, 1, {
      resources: [{ resourceType: topicResource, resourceName: '__consumer_offsets', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }] }],
      validateOnly: false,
    });
    assert.equal(incremental.responses[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const grown = await c.request(api.createPartitions, 3, { topics: [{ name: '__consumer_offsets', count: offsetsPartitions + 1, assignments: null }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(grown.results[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const deleted = await c.request(api.deleteTopics, 6, { topics: [{ name: '__consumer_offsets', topicId: Buffer.alloc(16) }], topicNames: [], timeoutMs: 10_000 });
    assert.equal(deleted.responses[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  }
  assert.equal(await cleanupPolicy(), 'compact', 'the configs stay as the coordinator made them');

  // A commit, then DeleteRecords on each partition at its leader: refused, the commit stays.
  const coordinator = found.nodeId === 1 ? controller : forwarding;
  const commit = async () => {
    const committed = await coordinator.request(api.offsetCommit, 8, {
      groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    return committed.topics[0].partitions[0].errorCode;
  };
  const deadline = Date.now() + 20_000;
  let errorCode = await commit();
  while (errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    errorCode = await commit();
  }
  assert.equal(errorCode, ErrorCode.NONE);
  for (const partition of offsetsTopic.partitions) {
    const leader = partition.leaderId === 1 ? controller : forwarding;
    const truncated = await leader.request(api.deleteRecords, 2, { topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: partition.partitionIndex, offset: -1n }] }], timeoutMs: 10_000 });
    assert.equal(truncated.topics[0].partitions[0].errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, `partition ${partition.partitionIndex}`);
  }
  const fetched = await coordinator.request(api.offsetFetch, 8, { groups: [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
  assert.deepEqual(fetched.groups[0].topics.map((t: any) => [t.name, t.partitions.map((p: any) => p.committedOffset)]), [['__consumer_offsets', [0n]]]);
});
