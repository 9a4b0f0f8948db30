/**
 * Group coordinators load their __consumer_offsets partitions as soon as
 * they lead them, as Kafka does, not on a group's first request: on a
 * running 3-node cluster the first JoinGroup of a new group is served at
 * once by its coordinator, whichever node that is (sarama 1.22 treats the
 * COORDINATOR_LOAD_IN_PROGRESS of a lazy load as fatal for the member).
 * The same after leadership moves (a node stops): the new leaders load the
 * partitions they took over, committed offsets included, before anyone
 * asks. Readiness is watched with ListGroups, which answers
 * COORDINATOR_LOAD_IN_PROGRESS while a partition the node leads is opening
 * or loading and starts no load itself; every other request here is the
 * first of its group, straight to the node (no client retries).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Admin } from '../../src/client/admin.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors.ts';
import { partitionForGroup } from '../../src/broker/group/offset-store.ts';
import type { BrokerConnection } from '../../src/net/connection.ts';
import type { PartitionInfo } from '../../src/client/cluster.ts';

const offsetsPartitions = 6;

/** A group id not used before whose __consumer_offsets partition `leader` leads. */
function newGroupLedBy(leader: number, partitions: PartitionInfo[], used: Set<string>): string {
  for (let i = 0; ; i++) {
    const id = `group-${i}`;
    if (!used.has(id) && partitions[partitionForGroup(id, offsetsPartitions)].leader === leader) {
      used.add(id);
      return id;
    }
  }
}

/** Polls ListGroups on `connection` until it answers NONE (every partition the node leads is loaded). */
async function untilLoaded(connection: BrokerConnection, node: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  let errorCode: number = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  while (Date.now() < deadline) {
    errorCode = (await connection.request(ApiKeys.ListGroups, 4, { statesFilter: [], typesFilter: [] })).errorCode;
    if (errorCode === ErrorCode.NONE) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`node ${node} never finished loading the __consumer_offsets partitions it leads: ListGroups still answers ${errorName(errorCode)}`);
}

async function findCoordinator(connection: BrokerConnection, groupId: string): Promise<number> {
  const found = await connection.request(ApiKeys.FindCoordinator, 3, { key: groupId, keyType: 0, coordinatorKeys: [] });
  assert.equal(found.errorCode, ErrorCode.NONE, `FindCoordinator(${groupId}): ${errorName(found.errorCode)} ${found.errorMessage}`);
  return found.nodeId;
}

/** JoinGroup v3 (no member id round trip): the error code of the first answer. */
async function joinOnce(connection: BrokerConnection, groupId: string): Promise<number> {
  const joined = await connection.request(ApiKeys.JoinGroup, 3, {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    reason: null,
  });
  return joined.errorCode;
}

test('the first JoinGroup of a new group is served at once on a running cluster, also after leadership moved', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({
    nodes: 3,
    sets: { ...fastFailover, 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': offsetsPartitions, 'auto.leader.rebalance.enable': false },
  });
  t.after(() => cluster.stop());
  const client = new Cluster({ bootstrap: cluster.nodeIds.map((id) => ({ host: '127.0.0.1', port: Number(cluster.address(id).split(':')[1]) })) });
  t.after(() => client.close());
  const nodeConnection = (id: number) => client.connection('127.0.0.1', Number(cluster.address(id).split(':')[1]));
  const created = await new Admin(client).createTopic({ name: 'events', partitions: 1, replicationFactor: 3, configs: {} });
  assert.equal(created.errorCode, ErrorCode.NONE, `creating events: ${created.errorMessage}`);

  // An earlier group's FindCoordinator creates __consumer_offsets (through node 1); every node then loads what it leads by itself.
  await findCoordinator(await nodeConnection(1), 'earlier');
  const used = new Set(['earlier']);
  let partitions: PartitionInfo[] = [];
  for (const id of cluster.nodeIds) {
    partitions = await waitForPartitions(cluster.address(id), '__consumer_offsets', `node ${id} knows every leader`, (ps) => ps.length === offsetsPartitions && ps.every((p) => p.leader > 0));
    await untilLoaded(await nodeConnection(id), id);
  }
  for (const id of cluster.nodeIds) {
    const groupId = newGroupLedBy(id, partitions, used);
    assert.equal(await findCoordinator(await nodeConnection(1), groupId), id);
    assert.equal(errorName(await joinOnce(await nodeConnection(id), groupId)), 'NONE', `the first JoinGroup of ${groupId} at its coordinator, node ${id}`);
  }

  // A group with a committed offset on node 3, which then stops: nodes 1 and 2 take its partitions over and load them unasked.
  const moving = newGroupLedBy(3, partitions, used);
  const committed = await (await nodeConnection(3)).request(ApiKeys.OffsetCommit, 2, {
    groupId: moving,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
  });
  assert.equal(errorName(committed.topics[0].partitions[0].errorCode), 'NONE');
  const takenOver = partitions.filter((p) => p.leader === 3).map((p) => p.partition);
  await waitForPartitions(cluster.address(1), '__consumer_offsets', 'the offsets partitions are fully replicated', (ps) => ps.every((p) => p.isr.length === 3));
  await cluster.stopNode(3);
  const survivors = [1, 2];
  for (const id of survivors) {
    partitions = await waitForPartitions(cluster.address(id), '__consumer_offsets', `node ${id} sees node 3's partitions moved`, (ps) => ps.every((p) => p.leader === 1 || p.leader === 2));
    await untilLoaded(await nodeConnection(id), id);
  }
  const coordinator = partitions[partitionForGroup(moving, offsetsPartitions)].leader;
  assert.equal(await findCoordinator(await nodeConnection(1), moving), coordinator);
  const fetched = await (await nodeConnection(coordinator)).request(ApiKeys.OffsetFetch, 3, { groupId: moving, topics: null, requireStable: false, groups: [] });
  assert.equal(errorName(fetched.errorCode), 'NONE', `the first OffsetFetch of ${moving} at its new coordinator, node ${coordinator}`);
  assert.equal(fetched.topics[0]?.partitions[0]?.committedOffset, 42n);
  for (const index of takenOver) {
    const leader = partitions[index].leader;
    const groupId = newGroupLedBy(leader, partitions.map((p) => (p.partition === index ? p : { ...p, leader: -1 })), used);
    assert.equal(errorName(await joinOnce(await nodeConnection(leader), groupId)), 'NONE', `the first JoinGroup of ${groupId} at node ${leader}, which took over __consumer_offsets-${index}`);
  }
});
