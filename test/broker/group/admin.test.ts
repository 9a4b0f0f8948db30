import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { assignmentFor, flush, formStableGroup, joinRequest, setup, watch } from './helpers.ts';

test('DescribeGroups: a Stable group in full, a rebalancing one without metadata, an unknown one as Dead', async () => {
  const { clock, manager } = setup();
  const [a] = await formStableGroup(manager, clock, [joinRequest({ clientId: 'a', clientHost: '/10.0.0.1' })]);
  const [stable, unknown] = await manager.describe(['g', 'nope']);
  assert.deepEqual(stable, {
    errorCode: ErrorCode.NONE,
    groupId: 'g',
    groupState: 'Stable',
    protocolType: 'consumer',
    protocolData: 'range',
    members: [
      {
        memberId: a.memberId,
        groupInstanceId: null,
        clientId: 'a',
        clientHost: '/10.0.0.1',
        memberMetadata: Buffer.from('range-meta'),
        memberAssignment: assignmentFor(a.memberId),
      },
    ],
  });
  assert.deepEqual(unknown, {
    errorCode: ErrorCode.NONE,
    groupId: 'nope',
    groupState: 'Dead',
    protocolType: '',
    protocolData: '',
    members: [],
  });

  void manager.join(joinRequest({ clientId: 'b' }));
  const [rebalancing] = await manager.describe(['g']);
  assert.equal(rebalancing.groupState, 'PreparingRebalance');
  assert.equal(rebalancing.protocolData, '');
  assert.deepEqual(
    rebalancing.members.map((m) => [m.clientId, m.memberMetadata.length, m.memberAssignment.length]),
    [
      ['a', 0, 0],
      ['b', 0, 0],
    ],
  );
});

test('ListGroups lists every group, filtered by state names in any case', async () => {
  const { clock, manager } = setup();
  await formStableGroup(manager, clock, [joinRequest({ groupId: 'g' })]);
  void manager.join(joinRequest({ groupId: 'joining' }));
  assert.equal(manager.isValidCommit('offsets-only', '', -1, null), ErrorCode.NONE);

  assert.deepEqual(await manager.list(), [
    { groupId: 'g', protocolType: 'consumer', groupState: 'Stable' },
    { groupId: 'joining', protocolType: 'consumer', groupState: 'PreparingRebalance' },
    { groupId: 'offsets-only', protocolType: '', groupState: 'Empty' },
  ]);
  assert.deepEqual(
    (await manager.list(['stable', 'EMPTY'])).map((g) => g.groupId),
    ['g', 'offsets-only'],
  );
  assert.deepEqual(await manager.list(['Dead']), []);
});

test('DeleteGroups removes only Empty groups', async () => {
  const { clock, manager, changes } = setup();
  await formStableGroup(manager, clock, [joinRequest({ groupId: 'busy' })]);
  manager.isValidCommit('idle', '', -1, null);

  assert.deepEqual(await manager.delete(['busy', 'idle', 'nope', 'idle']), [
    { groupId: 'busy', errorCode: ErrorCode.NON_EMPTY_GROUP },
    { groupId: 'idle', errorCode: ErrorCode.NONE },
    { groupId: 'nope', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    { groupId: 'idle', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
  ]);
  assert.deepEqual(
    (await manager.list()).map((g) => g.groupId),
    ['busy'],
  );
  assert.deepEqual(
    changes.filter((c) => c.groupId === 'idle').map((c) => c.state),
    ['Dead'],
  );
});

test('isValidCommit: simple consumers only while Empty, members by id and generation, not while completing a rebalance', async () => {
  const { clock, manager } = setup();
  assert.equal(manager.isValidCommit('g', '', 3, null), ErrorCode.ILLEGAL_GENERATION, 'unknown group, stale generation');
  assert.equal(manager.isValidCommit('g', '', -1, null), ErrorCode.NONE, 'simple consumer creates the group');
  assert.equal(manager.isValidCommit('g', 'ghost', 0, null), ErrorCode.UNKNOWN_MEMBER_ID);

  const [a, b] = await formStableGroup(manager, clock, [
    joinRequest({ clientId: 'a' }),
    joinRequest({ clientId: 'b', groupInstanceId: 'instance-b' }),
  ]);
  assert.equal(manager.isValidCommit('g', a.memberId, 1, null), ErrorCode.NONE);
  assert.equal(manager.isValidCommit('g', b.memberId, 1, 'instance-b'), ErrorCode.NONE);
  assert.equal(manager.isValidCommit('g', a.memberId, 0, null), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(manager.isValidCommit('g', 'ghost', 1, null), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(manager.isValidCommit('g', a.memberId, 1, 'instance-b'), ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(manager.isValidCommit('g', '', -1, null), ErrorCode.UNKNOWN_MEMBER_ID, 'simple consumer of a live group');

  // A member's commit keeps its session alive, as a heartbeat would.
  clock.advance(8_000);
  assert.equal(manager.isValidCommit('g', a.memberId, 1, null), ErrorCode.NONE);
  assert.equal(manager.isValidCommit('g', b.memberId, 1, 'instance-b'), ErrorCode.NONE);
  clock.advance(8_000);
  assert.equal((await manager.describe(['g']))[0].groupState, 'Stable');

  // Commits are still taken while the group prepares a rebalance, not while it completes one.
  const rejoinA = manager.join(joinRequest({ clientId: 'a', memberId: a.memberId }));
  assert.equal(manager.isValidCommit('g', b.memberId, 1, 'instance-b'), ErrorCode.NONE);
  const rejoinB = manager.join(joinRequest({ clientId: 'b', memberId: b.memberId, groupInstanceId: 'instance-b' }));
  const [newA] = await Promise.all([rejoinA, rejoinB]);
  assert.equal(manager.isValidCommit('g', newA.memberId, 2, null), ErrorCode.REBALANCE_IN_PROGRESS);
});

test('close() answers every waiting member with NOT_COORDINATOR and stops every timer', async () => {
  const { clock, manager } = setup({ initialRebalanceDelayMs: 3_000 });
  const waiting = watch(manager.join(joinRequest()));
  await manager.join(joinRequest({ groupId: 'other', requireKnownMemberId: true }));
  assert.ok(clock.pendingTimers > 0);
  manager.close();
  await flush();
  assert.equal(waiting.value?.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(clock.pendingTimers, 0);
  assert.deepEqual(await manager.list(), []);
});
