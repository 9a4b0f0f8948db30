import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import {
  assignmentFor,
  flush,
  formStableGroup,
  joinRequest,
  range,
  roundRobin,
  setup,
  syncRequest,
  watch,
} from './helpers.ts';

test('three members join; the leader gets the member list and its assignment reaches each member', async () => {
  const { clock, manager, changes } = setup();
  const pending = ['a', 'b', 'c'].map((clientId) => manager.join(joinRequest({ clientId })));
  clock.advance(0);
  const joins = await Promise.all(pending);

  const leader = joins[0].memberId;
  for (const join of joins) {
    assert.equal(join.errorCode, ErrorCode.NONE);
    assert.equal(join.generationId, 1);
    assert.equal(join.protocolType, 'consumer');
    assert.equal(join.protocolName, 'range');
    assert.equal(join.leader, leader);
  }
  assert.deepEqual(
    joins[0].members.map((m) => [m.memberId, m.groupInstanceId, m.metadata.toString()]),
    joins.map((j) => [j.memberId, null, 'range-meta']),
  );
  assert.deepEqual(joins[1].members, []);
  assert.deepEqual(joins[2].members, []);
  assert.match(joins[1].memberId, /^b-[0-9a-f-]{36}$/);

  // Followers wait for the leader's SyncGroup.
  const followerSyncs = [watch(manager.sync(syncRequest(joins[1]))), watch(manager.sync(syncRequest(joins[2])))];
  await flush();
  assert.ok(followerSyncs.every((s) => !s.done));
  const assignments = joins.map((j) => ({ memberId: j.memberId, assignment: assignmentFor(j.memberId) }));
  const leaderSync = await manager.sync(syncRequest(joins[0], { assignments }));
  await flush();

  assert.equal(leaderSync.errorCode, ErrorCode.NONE);
  assert.deepEqual(leaderSync.assignment, assignmentFor(leader));
  for (const [i, sync] of followerSyncs.entries()) {
    assert.equal(sync.value?.errorCode, ErrorCode.NONE);
    assert.equal(sync.value?.protocolName, 'range');
    assert.deepEqual(sync.value?.assignment, assignmentFor(joins[i + 1].memberId));
  }
  const [described] = await manager.describe(['g']);
  assert.equal(described.groupState, 'Stable');
  assert.equal(described.protocolData, 'range');
  assert.deepEqual(
    described.members.map((m) => [m.clientId, m.memberAssignment.toString()]),
    joins.map((j, i) => [['a', 'b', 'c'][i], `assignment-of-${j.memberId}`]),
  );
  assert.equal(changes.at(-1)?.state, 'Stable');
  assert.equal(changes.at(-1)?.generationId, 1);
  assert.equal(changes.at(-1)?.leaderId, leader);
});

test('a member the leader left out gets an empty assignment; a late follower sync gets its assignment', async () => {
  const { clock, manager } = setup();
  const pending = ['a', 'b'].map((clientId) => manager.join(joinRequest({ clientId })));
  clock.advance(0);
  const [a, b] = await Promise.all(pending);
  const leaderSync = await manager.sync(
    syncRequest(a, { assignments: [{ memberId: a.memberId, assignment: Buffer.from('all') }] }),
  );
  assert.deepEqual(leaderSync.assignment, Buffer.from('all'));
  const followerSync = await manager.sync(syncRequest(b));
  assert.equal(followerSync.errorCode, ErrorCode.NONE);
  assert.equal(followerSync.assignment.length, 0);
});

test('JoinGroup v4+: a member without id is told MEMBER_ID_REQUIRED and joins with the id it was given', async () => {
  const { clock, manager } = setup();
  const first = await manager.join(joinRequest({ requireKnownMemberId: true }));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.match(first.memberId, /^client-[0-9a-f-]{36}$/);
  assert.equal(first.generationId, -1);
  assert.deepEqual(await manager.list(), [{ groupId: 'g', protocolType: '', groupState: 'Empty' }]);

  const madeUp = await manager.join(joinRequest({ memberId: 'client-made-up', requireKnownMemberId: true }));
  assert.equal(madeUp.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

  const second = manager.join(joinRequest({ memberId: first.memberId, requireKnownMemberId: true }));
  clock.advance(0);
  const joined = await second;
  assert.equal(joined.errorCode, ErrorCode.NONE);
  assert.equal(joined.memberId, first.memberId);
  assert.equal(joined.leader, first.memberId);
  assert.equal(joined.generationId, 1);
});

test('JoinGroup rejects a bad group id, session timeout, unknown member and inconsistent protocols', async () => {
  const { clock, manager } = setup({ minSessionTimeoutMs: 6_000, maxSessionTimeoutMs: 60_000 });
  assert.equal((await manager.join(joinRequest({ groupId: '' }))).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.equal((await manager.join(joinRequest({ sessionTimeoutMs: 5_999 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await manager.join(joinRequest({ sessionTimeoutMs: 60_001 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  const unknown = await manager.join(joinRequest({ memberId: 'ghost' }));
  assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(unknown.memberId, 'ghost');
  assert.equal((await manager.join(joinRequest({ protocolType: '' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await manager.join(joinRequest({ protocols: [] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.deepEqual(await manager.list(), [], 'rejected joins create no group');

  await formStableGroup(manager, clock, [joinRequest()]);
  const otherType = await manager.join(joinRequest({ protocolType: 'connect' }));
  assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const noCommonProtocol = await manager.join(joinRequest({ protocols: [roundRobin] }));
  assert.equal(noCommonProtocol.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const [described] = await manager.describe(['g']);
  assert.equal(described.groupState, 'Stable');
  assert.equal(described.members.length, 1);
});

test('group.max.size counts members and handed-out member ids', async () => {
  const { clock, manager } = setup({ maxSize: 2 });
  await formStableGroup(manager, clock, [joinRequest({ clientId: 'a' })]);
  const pendingId = await manager.join(joinRequest({ clientId: 'b', requireKnownMemberId: true }));
  assert.equal(pendingId.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const third = await manager.join(joinRequest({ clientId: 'c', requireKnownMemberId: true }));
  assert.equal(third.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  assert.equal(third.memberId, '');
  const dynamic = await manager.join(joinRequest({ clientId: 'd' }));
  assert.equal(dynamic.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);

  // The member that holds an id may still come in.
  const b = watch(manager.join(joinRequest({ memberId: pendingId.memberId, requireKnownMemberId: true })));
  await flush();
  assert.equal(b.done, false);
  const [described] = await manager.describe(['g']);
  assert.equal(described.groupState, 'PreparingRebalance');
  assert.equal(described.members.length, 2);
});

test('SyncGroup errors: unknown group or member, wrong generation, protocol mismatch, rebalance in progress', async () => {
  const { clock, manager } = setup();
  const [a] = await formStableGroup(manager, clock, [joinRequest({ clientId: 'a' })]);
  const sync = (overrides: Parameters<typeof syncRequest>[1]) => manager.sync(syncRequest(a, overrides));

  assert.equal((await sync({ groupId: '' })).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.equal((await sync({ groupId: 'nope' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await sync({ memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await sync({ generationId: 7 })).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await sync({ protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await sync({ protocolName: 'roundrobin' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const matching = await sync({ protocolType: 'consumer', protocolName: 'range' });
  assert.equal(matching.errorCode, ErrorCode.NONE);
  assert.deepEqual(matching.assignment, assignmentFor(a.memberId));

  // A new member starts a rebalance: SyncGroup for the old generation is told to rejoin.
  void manager.join(joinRequest({ clientId: 'b' }));
  assert.equal((await sync({})).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
});

test('a rebalance starting during CompletingRebalance answers waiting syncs with REBALANCE_IN_PROGRESS', async () => {
  const { clock, manager } = setup();
  const pending = ['a', 'b'].map((clientId) => manager.join(joinRequest({ clientId })));
  clock.advance(0);
  const [, b] = await Promise.all(pending);
  const followerSync = manager.sync(syncRequest(b));
  void manager.join(joinRequest({ clientId: 'c' }));
  const answer = await followerSync;
  assert.equal(answer.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(answer.assignment.length, 0);
  assert.equal((await manager.describe(['g']))[0].groupState, 'PreparingRebalance');
});

test('Heartbeat errors and the rebalance signal', async () => {
  const { clock, manager } = setup();
  const [a] = await formStableGroup(manager, clock, [joinRequest({ clientId: 'a' })]);
  const beat = (overrides: object) =>
    manager.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: a.generationId, groupInstanceId: null, ...overrides });

  assert.equal((await beat({})).errorCode, ErrorCode.NONE);
  assert.equal((await beat({ groupId: '' })).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.equal((await beat({ groupId: 'nope' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await beat({ memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await beat({ generationId: 0 })).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await beat({ groupInstanceId: 'never-joined' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

  void manager.join(joinRequest({ clientId: 'b' }));
  assert.equal((await beat({})).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
});

test('the leader rejoining a Stable group forces a rebalance; an unchanged follower just gets the generation', async () => {
  const { clock, manager } = setup();
  const [a, b] = await formStableGroup(manager, clock, [joinRequest({ clientId: 'a' }), joinRequest({ clientId: 'b' })]);

  const follower = await manager.join(joinRequest({ clientId: 'b', memberId: b.memberId }));
  assert.equal(follower.errorCode, ErrorCode.NONE);
  assert.equal(follower.generationId, 1);
  assert.equal(follower.leader, a.memberId);
  assert.equal((await manager.describe(['g']))[0].groupState, 'Stable');

  const leaderRejoin = watch(manager.join(joinRequest({ clientId: 'a', memberId: a.memberId })));
  await flush();
  assert.equal(leaderRejoin.done, false);
  assert.equal((await manager.describe(['g']))[0].groupState, 'PreparingRebalance');
  const followerRejoin = await manager.join(joinRequest({ clientId: 'b', memberId: b.memberId }));
  await flush();
  assert.equal(followerRejoin.generationId, 2);
  assert.equal(leaderRejoin.value?.generationId, 2);
  assert.equal(leaderRejoin.value?.members.length, 2);
});

test('a follower that missed its join response gets the same generation again in CompletingRebalance', async () => {
  const { clock, manager } = setup();
  const pending = ['a', 'b'].map((clientId) => manager.join(joinRequest({ clientId })));
  clock.advance(0);
  const [, b] = await Promise.all(pending);
  const again = await manager.join(joinRequest({ clientId: 'b', memberId: b.memberId }));
  assert.deepEqual(again, b);
  assert.equal((await manager.describe(['g']))[0].groupState, 'CompletingRebalance');
});

test('LeaveGroup: per-member errors, the rest rebalance, the last one leaves the group Empty', async () => {
  const { clock, manager, changes } = setup();
  const [a, b] = await formStableGroup(manager, clock, [joinRequest({ clientId: 'a' }), joinRequest({ clientId: 'b' })]);

  const left = await manager.leave({
    groupId: 'g',
    members: [
      { memberId: a.memberId, groupInstanceId: null },
      { memberId: 'ghost', groupInstanceId: null },
    ],
  });
  assert.equal(left.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    left.members.map((m) => [m.memberId, m.errorCode]),
    [
      [a.memberId, ErrorCode.NONE],
      ['ghost', ErrorCode.UNKNOWN_MEMBER_ID],
    ],
  );
  const rejoin = await manager.join(joinRequest({ clientId: 'b', memberId: b.memberId }));
  assert.equal(rejoin.generationId, 2);
  assert.equal(rejoin.leader, b.memberId, 'leadership passes to a remaining member');

  await manager.sync(syncRequest(rejoin, { assignments: [{ memberId: b.memberId, assignment: Buffer.from('x') }] }));
  const last = await manager.leave({ groupId: 'g', members: [{ memberId: b.memberId, groupInstanceId: null }] });
  assert.equal(last.members[0].errorCode, ErrorCode.NONE);
  const [described] = await manager.describe(['g']);
  assert.equal(described.groupState, 'Empty');
  assert.equal(described.members.length, 0);
  assert.equal(changes.at(-1)?.state, 'Empty');
  assert.equal(changes.at(-1)?.generationId, 3);

  const unknownGroup = await manager.leave({ groupId: 'nope', members: [{ memberId: 'x', groupInstanceId: null }] });
  assert.deepEqual(unknownGroup, {
    errorCode: ErrorCode.NONE,
    members: [{ memberId: 'x', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }],
  });
  assert.equal((await manager.leave({ groupId: '', members: [] })).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.equal(clock.pendingTimers, 0, 'an Empty group holds no timers');
});

test('a member leaving while the others wait in PreparingRebalance completes the join phase', async () => {
  const { clock, manager } = setup();
  const [a, b] = await formStableGroup(manager, clock, [joinRequest({ clientId: 'a' }), joinRequest({ clientId: 'b' })]);
  const aRejoin = watch(manager.join(joinRequest({ clientId: 'a', memberId: a.memberId })));
  await flush();
  assert.equal(aRejoin.done, false);
  await manager.leave({ groupId: 'g', members: [{ memberId: b.memberId, groupInstanceId: null }] });
  await flush();
  assert.equal(aRejoin.value?.generationId, 2);
  assert.equal(aRejoin.value?.members.length, 1);
});

test('protocol selection: the protocol most members prefer among those every member supports', async () => {
  const { clock, manager } = setup();
  const sticky = { name: 'sticky', metadata: Buffer.from('sticky-meta') };
  const pending = [
    manager.join(joinRequest({ clientId: 'a', protocols: [range, roundRobin] })),
    manager.join(joinRequest({ clientId: 'b', protocols: [roundRobin, range] })),
    manager.join(joinRequest({ clientId: 'c', protocols: [sticky, roundRobin, range] })),
  ];
  clock.advance(0);
  const joins = await Promise.all(pending);
  // sticky is not supported by everyone; of the rest, b and c prefer roundrobin.
  assert.ok(joins.every((j) => j.protocolName === 'roundrobin'));
  assert.deepEqual(
    joins[0].members.map((m) => m.metadata.toString()),
    ['rr-meta', 'rr-meta', 'rr-meta'],
  );

  const other = setup();
  const pair = [
    other.manager.join(joinRequest({ clientId: 'a', protocols: [sticky, range] })),
    other.manager.join(joinRequest({ clientId: 'b', protocols: [range] })),
  ];
  other.clock.advance(0);
  assert.deepEqual(
    (await Promise.all(pair)).map((j) => j.protocolName),
    ['range', 'range'],
  );
});
