/**
 * Version corners of the group handlers over the wire (a real `kb broker
 * start`, raw requests): FindCoordinator v0-3 single key and v4 batched keys
 * (key types other than groups and transactions refused), JoinGroup v0 without a rebalance timeout and
 * without MEMBER_ID_REQUIRED, LeaveGroup v0's single error code, ListGroups
 * v4 state filters, DescribeGroups of an unknown group (Dead, no error),
 * OffsetFetch v0/v2 of a group nothing was committed for.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../helpers/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const api = { offsetFetch: 9, findCoordinator: 10, joinGroup: 11, leaveGroup: 13, syncGroup: 14, describeGroups: 15, listGroups: 16 };
let broker: RunningBroker;
let client: RawClient;

before(async () => {
  broker = await startBroker({ sets: { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 4 } });
  client = await RawClient.connect(broker.host, broker.port);
});
after(async () => {
  client?.close();
  await broker?.stop();
});

test('FindCoordinator answers this broker for one key (v0-3) and per key (v4); unknown key types are refused', async () => {
  for (const version of [0, 2, 3]) {
    const found = await client.request(api.findCoordinator, version, { key: `g${version}`, keyType: 0, coordinatorKeys: [] });
    assert.equal(found.errorCode, ErrorCode.NONE, `v${version}`);
    assert.deepEqual([found.nodeId, found.host, found.port], [1, broker.host, broker.port]);
  }
  const batched = await client.request(api.findCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['a', 'b'] });
  assert.deepEqual(
    batched.coordinators.map((c: any) => [c.key, c.nodeId, c.port, c.errorCode]),
    [
      ['a', 1, broker.port, ErrorCode.NONE],
      ['b', 1, broker.port, ErrorCode.NONE],
    ],
  );
  const unknownKeyType = await client.request(api.findCoordinator, 3, { key: 'share', keyType: 2, coordinatorKeys: [] });
  assert.equal(unknownKeyType.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(unknownKeyType.nodeId, -1);
});

test('JoinGroup v0 (no rebalance timeout, no MEMBER_ID_REQUIRED) forms a group; LeaveGroup v0 answers with the member error', async () => {
  const joined = await client.request(api.joinGroup, 0, {
    groupId: 'v0-group',
    sessionTimeoutMs: 10_000,
    memberId: '',
    protocolType: 'consumer',
    protocols: [{ name: 'roundrobin', metadata: Buffer.from('m') }],
  });
  assert.equal(joined.errorCode, ErrorCode.NONE);
  assert.equal(joined.leader, joined.memberId);
  assert.equal(joined.protocolName, 'roundrobin');
  assert.deepEqual(joined.members.map((m: any) => [m.memberId, m.metadata]), [[joined.memberId, Buffer.from('m')]]);
  const synced = await client.request(api.syncGroup, 0, {
    groupId: 'v0-group',
    generationId: joined.generationId,
    memberId: joined.memberId,
    assignments: [{ memberId: joined.memberId, assignment: Buffer.from('mine') }],
  });
  assert.deepEqual([synced.errorCode, synced.assignment], [ErrorCode.NONE, Buffer.from('mine')]);

  const stranger = await client.request(api.leaveGroup, 0, { groupId: 'v0-group', memberId: 'stranger' });
  assert.equal(stranger.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const left = await client.request(api.leaveGroup, 1, { groupId: 'v0-group', memberId: joined.memberId });
  assert.equal(left.errorCode, ErrorCode.NONE);
  const described = await client.request(api.describeGroups, 0, { groups: ['v0-group', 'never-seen'] });
  assert.deepEqual(
    described.groups.map((g: any) => [g.groupId, g.errorCode, g.groupState, g.members.length]),
    [
      ['v0-group', ErrorCode.NONE, 'Empty', 0],
      ['never-seen', ErrorCode.NONE, 'Dead', 0],
    ],
  );
});

test('ListGroups v4 filters by state (case-insensitively); v0 lists every group', async () => {
  const joined = await client.request(api.joinGroup, 5, {
    groupId: 'listed-stable',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: 'unknown',
    groupInstanceId: 'instance-1',
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
  });
  assert.equal(joined.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'an unknown member id of an unknown group');
  const fresh = await client.request(api.joinGroup, 5, {
    groupId: 'listed-stable',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: '',
    groupInstanceId: 'instance-1',
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
  });
  assert.equal(fresh.errorCode, ErrorCode.NONE, 'a static member joins without MEMBER_ID_REQUIRED');
  const synced = await client.request(api.syncGroup, 3, {
    groupId: 'listed-stable',
    generationId: fresh.generationId,
    memberId: fresh.memberId,
    groupInstanceId: 'instance-1',
    assignments: [{ memberId: fresh.memberId, assignment: Buffer.from('a') }],
  });
  assert.equal(synced.errorCode, ErrorCode.NONE);

  const stable = await client.request(api.listGroups, 4, { statesFilter: ['stable'] });
  assert.deepEqual(stable.groups.map((g: any) => [g.groupId, g.protocolType, g.groupState]), [['listed-stable', 'consumer', 'Stable']]);
  const empty = await client.request(api.listGroups, 4, { statesFilter: ['Empty'] });
  assert.ok(empty.groups.every((g: any) => g.groupState === 'Empty'));
  assert.ok(empty.groups.some((g: any) => g.groupId === 'v0-group'));
  const all = await client.request(api.listGroups, 0, {});
  assert.ok(all.groups.some((g: any) => g.groupId === 'listed-stable') && all.groups.some((g: any) => g.groupId === 'v0-group'));
});

test('OffsetFetch of a group without commits: -1 for each partition asked for, no partitions when asking for all (v2+ null topics)', async () => {
  const v1 = await client.request(api.offsetFetch, 1, { groupId: 'nothing-committed', topics: [{ name: 'some-topic', partitionIndexes: [0, 1] }] });
  assert.deepEqual(
    v1.topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode]),
    [
      [0, -1n, '', ErrorCode.NONE],
      [1, -1n, '', ErrorCode.NONE],
    ],
  );
  const v2 = await client.request(api.offsetFetch, 2, { groupId: 'nothing-committed', topics: null });
  assert.deepEqual([v2.errorCode, v2.topics], [ErrorCode.NONE, []]);
});
