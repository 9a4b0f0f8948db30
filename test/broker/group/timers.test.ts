import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newMemberJoinTimeoutMs } from '../../../src/limits.ts';
import type { GroupManager } from '../../../src/broker/group/group-manager.ts';
import type { JoinResponse } from '../../../src/broker/group/group.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { flush, formStableGroup, joinRequest, setup, syncRequest, watch } from './helpers.ts';

function heartbeat(manager: GroupManager, join: JoinResponse) {
  return manager.heartbeat({ groupId: 'g', memberId: join.memberId, generationId: join.generationId, groupInstanceId: null });
}

test('a member whose session expires is removed and the others rebalance without it', async () => {
  const { clock, manager } = setup();
  const [a, b] = await formStableGroup(manager, clock, [joinRequest({ clientId: 'a' }), joinRequest({ clientId: 'b' })]);
  clock.advance(6_000);
  assert.equal((await heartbeat(manager, a)).errorCode, ErrorCode.NONE);
  clock.advance(3_999);
  assert.equal((await manager.describe(['g']))[0].members.length, 2, 'b still within its 10 s session');
  clock.advance(1);
  assert.equal((await manager.describe(['g']))[0].groupState, 'PreparingRebalance');
  assert.equal((await heartbeat(manager, b)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await heartbeat(manager, a)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);

  const rejoin = await manager.join(joinRequest({ clientId: 'a', memberId: a.memberId }));
  assert.equal(rejoin.generationId, 2);
  assert.deepEqual(
    rejoin.members.map((m) => m.memberId),
    [a.memberId],
  );
});

test('the last member expiring leaves the group Empty with a new generation', async () => {
  const { clock, manager, changes } = setup();
  await formStableGroup(manager, clock, [joinRequest()]);
  clock.advance(10_000);
  const [described] = await manager.describe(['g']);
  assert.equal(described.groupState, 'Empty');
  assert.deepEqual(
    changes.map((c) => [c.state, c.generationId]),
    [
      ['Stable', 1],
      ['Empty', 2],
    ],
  );
  assert.equal(changes[1].stateChangedAtMs, 10_000);
  assert.equal(clock.pendingTimers, 0);
});

test('a member that does not rejoin within the rebalance timeout is dropped; its heartbeats keep it alive until then', async () => {
  const { clock, manager } = setup();
  const [a, b] = await formStableGroup(manager, clock, [joinRequest({ clientId: 'a' }), joinRequest({ clientId: 'b' })]);
  const c = watch(manager.join(joinRequest({ clientId: 'c' })));
  const aRejoin = watch(manager.join(joinRequest({ clientId: 'a', memberId: a.memberId })));
  for (let elapsed = 0; elapsed < 25_000; elapsed += 5_000) {
    clock.advance(5_000);
    assert.equal((await heartbeat(manager, b)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  }
  await flush();
  assert.equal(aRejoin.done, false);
  clock.advance(4_999);
  await flush();
  assert.equal(aRejoin.done, false);
  clock.advance(1);
  await flush();
  assert.equal(aRejoin.value?.generationId, 2);
  assert.equal(c.value?.generationId, 2);
  assert.deepEqual(
    aRejoin.value?.members.map((m) => m.memberId),
    [a.memberId, c.value?.memberId],
  );
  assert.equal((await heartbeat(manager, b)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('the initial rebalance delay waits for more members and extends while they keep arriving', async () => {
  const { clock, manager } = setup({ initialRebalanceDelayMs: 3_000 });
  const a = watch(manager.join(joinRequest({ clientId: 'a', rebalanceTimeoutMs: 10_000 })));
  clock.advance(2_000);
  const b = watch(manager.join(joinRequest({ clientId: 'b', rebalanceTimeoutMs: 10_000 })));
  clock.advance(3_999); // the first delay ended at 3 s with b new: one more delay, to 6 s
  await flush();
  assert.equal(a.done, false);
  clock.advance(1);
  await flush();
  assert.equal(a.value?.generationId, 1);
  assert.equal(b.value?.generationId, 1);
  assert.equal(a.value?.members.length, 2);
});

test('the initial rebalance delay is capped by the rebalance timeout', async () => {
  const { clock, manager } = setup({ initialRebalanceDelayMs: 3_000 });
  const first = watch(manager.join(joinRequest({ clientId: 'm0', rebalanceTimeoutMs: 10_000 })));
  for (const at of [2_000, 4_000, 6_000, 8_000, 9_500]) {
    clock.advance(at - clock.wallMs());
    void manager.join(joinRequest({ clientId: `m${at}`, rebalanceTimeoutMs: 10_000 }));
  }
  clock.advance(10_000 - 1 - clock.wallMs());
  await flush();
  assert.equal(first.done, false);
  clock.advance(1);
  await flush();
  assert.equal(first.value?.generationId, 1);
  assert.equal(first.value?.members.length, 6);
});

test('the initial rebalance delay is capped on the monotonic clock: a step back of the wall clock does not stretch it', async () => {
  const { clock, manager } = setup({ initialRebalanceDelayMs: 3_000 });
  const first = watch(manager.join(joinRequest({ clientId: 'm0', rebalanceTimeoutMs: 10_000 })));
  for (const at of [2_000, 4_000, 6_000, 8_000, 9_500]) {
    clock.advance(at - clock.monotonicMs());
    if (at === 4_000) clock.stepWallClock(-120_000);
    void manager.join(joinRequest({ clientId: `m${at}`, rebalanceTimeoutMs: 10_000 }));
  }
  clock.advance(10_000 - 1 - clock.monotonicMs());
  await flush();
  assert.equal(first.done, false);
  clock.advance(1);
  await flush();
  assert.equal(first.value?.generationId, 1);
  assert.equal(first.value?.members.length, 6);
});

test('a handed-out member id holds the join phase until it is used or its session expires', async () => {
  const { clock, manager } = setup();
  const [a] = await formStableGroup(manager, clock, [joinRequest({ clientId: 'a' })]);
  const pendingId = await manager.join(joinRequest({ clientId: 'b', requireKnownMemberId: true }));
  assert.equal(pendingId.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.equal((await manager.describe(['g']))[0].groupState, 'Stable', 'an id alone does not rebalance');

  const rejoin = watch(manager.join(joinRequest({ clientId: 'a', memberId: a.memberId })));
  clock.advance(9_999);
  await flush();
  assert.equal(rejoin.done, false);
  clock.advance(1);
  await flush();
  assert.equal(rejoin.value?.generationId, 2);
  assert.equal(rejoin.value?.members.length, 1);
  const late = await manager.join(joinRequest({ clientId: 'b', memberId: pendingId.memberId }));
  assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a member that does not send SyncGroup within the rebalance timeout is removed', async () => {
  const { clock, manager } = setup();
  const pending = ['a', 'b'].map((clientId) => manager.join(joinRequest({ clientId, rebalanceTimeoutMs: 5_000 })));
  clock.advance(0);
  const [a, b] = await Promise.all(pending);
  const leaderSync = await manager.sync(syncRequest(a, { assignments: [] }));
  assert.equal(leaderSync.errorCode, ErrorCode.NONE);
  clock.advance(5_000);
  const [described] = await manager.describe(['g']);
  assert.equal(described.groupState, 'PreparingRebalance');
  assert.deepEqual(
    described.members.map((m) => m.memberId),
    [a.memberId],
  );
  assert.equal((await manager.sync(syncRequest(b))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a follower waiting for the leader outlives its session; a leader that never syncs is removed by the sync timeout', async () => {
  const { clock, manager } = setup();
  const pending = ['a', 'b'].map((clientId) =>
    manager.join(joinRequest({ clientId, sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 20_000 })),
  );
  clock.advance(0);
  const [a, b] = await Promise.all(pending);
  const followerSync = watch(manager.sync(syncRequest(b)));
  // The leader heartbeats but never sends its SyncGroup.
  for (let elapsed = 0; elapsed < 15_000; elapsed += 5_000) {
    clock.advance(5_000);
    assert.equal((await heartbeat(manager, a)).errorCode, ErrorCode.NONE);
  }
  clock.advance(4_999);
  await flush();
  assert.equal(followerSync.done, false);
  clock.advance(1);
  await flush();
  assert.equal(followerSync.value?.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  const [described] = await manager.describe(['g']);
  assert.deepEqual(
    described.members.map((m) => m.memberId),
    [b.memberId],
  );
});

test('a new member whose join phase never completes is dropped after the new-member join timeout', async () => {
  const { clock, manager } = setup();
  const [a] = await formStableGroup(manager, clock, [
    joinRequest({ clientId: 'a', rebalanceTimeoutMs: 2 * newMemberJoinTimeoutMs }),
  ]);
  const newcomer = watch(manager.join(joinRequest({ clientId: 'b' })));
  for (let elapsed = 0; elapsed < newMemberJoinTimeoutMs; elapsed += 5_000) {
    await flush();
    assert.equal(newcomer.done, false);
    assert.equal((await heartbeat(manager, a)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    clock.advance(5_000);
  }
  await flush();
  assert.equal(newcomer.value?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await manager.describe(['g']))[0].members.length, 1);
});
