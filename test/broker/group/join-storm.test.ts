import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GroupManager } from '../../../src/broker/group/group-manager.ts';
import type { JoinResponse } from '../../../src/broker/group/group.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import type { FakeClock } from './fake-clock.ts';
import { assignmentFor, flush, joinRequest, setup, syncRequest, watch } from './helpers.ts';

const memberCount = 100;

/** Every member of a completed join phase agrees on it, and the leader sees exactly them. */
function assertOneGeneration(joins: JoinResponse[], generationId: number): void {
  const leader = joins.find((j) => j.memberId === j.leader);
  assert.ok(leader, 'one of the members leads');
  for (const join of joins) {
    assert.equal(join.errorCode, ErrorCode.NONE);
    assert.equal(join.generationId, generationId);
    assert.equal(join.leader, leader.memberId);
    if (join !== leader) assert.deepEqual(join.members, []);
  }
  assert.deepEqual(leader.members.map((m) => m.memberId).sort(), joins.map((j) => j.memberId).sort());
}

async function syncAll(manager: GroupManager, joins: JoinResponse[]): Promise<void> {
  const assignments = joins.map((j) => ({ memberId: j.memberId, assignment: assignmentFor(j.memberId) }));
  const syncs = await Promise.all(
    joins.map((j) => manager.sync(syncRequest(j, { assignments: j.memberId === j.leader ? assignments : [] }))),
  );
  for (const [i, sync] of syncs.entries()) {
    assert.equal(sync.errorCode, ErrorCode.NONE);
    assert.deepEqual(sync.assignment, assignmentFor(joins[i].memberId));
  }
}

async function leave(manager: GroupManager, memberIds: string[]): Promise<void> {
  const response = await manager.leave({
    groupId: 'g',
    members: memberIds.map((memberId) => ({ memberId, groupInstanceId: null })),
  });
  assert.ok(response.members.every((m) => m.errorCode === ErrorCode.NONE));
}

async function describe(manager: GroupManager) {
  return (await manager.describe(['g']))[0];
}

async function joinWithIds(manager: GroupManager, clock: FakeClock, count: number): Promise<string[]> {
  const ids = await Promise.all(
    Array.from({ length: count }, (_, i) => manager.join(joinRequest({ clientId: `m${i}`, requireKnownMemberId: true }))),
  );
  assert.ok(ids.every((r) => r.errorCode === ErrorCode.MEMBER_ID_REQUIRED));
  assert.equal(new Set(ids.map((r) => r.memberId)).size, count, 'every member gets its own id');
  clock.advance(0);
  return ids.map((r) => r.memberId);
}

test('a storm of 100 members joining and leaving keeps the group consistent', async () => {
  const { clock, manager, changes } = setup();

  // 100 members get ids and join; every third one leaves before the join phase completes.
  const ids = await joinWithIds(manager, clock, memberCount);
  const joining = ids.map((memberId, i) =>
    watch(manager.join(joinRequest({ clientId: `m${i}`, memberId, requireKnownMemberId: true }))),
  );
  const quitters = ids.filter((_, i) => i % 3 === 0);
  await leave(manager, quitters);
  assert.equal((await describe(manager)).groupState, 'PreparingRebalance');
  clock.advance(0);
  await flush();
  assert.ok(joining.every((j) => j.done));
  const quitterAnswers = joining.filter((_, i) => i % 3 === 0).map((j) => j.value!);
  assert.ok(quitterAnswers.every((a) => a.errorCode === ErrorCode.UNKNOWN_MEMBER_ID));
  const generation1 = joining.filter((_, i) => i % 3 !== 0).map((j) => j.value!);
  assert.equal(generation1.length, 66);
  assertOneGeneration(generation1, 1);
  await syncAll(manager, generation1);
  assert.equal((await describe(manager)).groupState, 'Stable');
  assert.equal((await describe(manager)).members.length, 66);

  // Half of them leave a Stable group; the rest rejoin, interleaved with 10 newcomers.
  const [leaving, staying] = [generation1.filter((_, i) => i % 2 === 0), generation1.filter((_, i) => i % 2 === 1)];
  await leave(manager, leaving.map((j) => j.memberId));
  // (The phase ends as soon as every member present has rejoined, so newcomers come before the last rejoin.)
  const joins2: Promise<JoinResponse>[] = [];
  for (const [i, j] of staying.entries()) {
    joins2.push(manager.join(joinRequest({ clientId: 'again', memberId: j.memberId })));
    if (i < 10) joins2.push(manager.join(joinRequest({ clientId: `new${i}` })));
  }
  const generation2 = await Promise.all(joins2);
  assertOneGeneration(generation2, 2);
  assert.equal(generation2.length, 33 + 10);
  await syncAll(manager, generation2);
  const stable = await describe(manager);
  assert.equal(stable.groupState, 'Stable');
  assert.deepEqual(stable.members.map((m) => m.memberId).sort(), generation2.map((j) => j.memberId).sort());

  // Everyone leaves: the group is Empty, holds no timers, and can be deleted.
  await leave(manager, generation2.map((j) => j.memberId));
  const empty = await describe(manager);
  assert.equal(empty.groupState, 'Empty');
  assert.deepEqual(empty.members, []);
  assert.equal(clock.pendingTimers, 0);
  assert.deepEqual(
    changes.map((c) => [c.state, c.generationId, c.members.length]),
    [
      ['Stable', 1, 66],
      ['Stable', 2, 43],
      ['Empty', 3, 0],
    ],
  );
  assert.deepEqual(await manager.delete(['g']), [{ groupId: 'g', errorCode: ErrorCode.NONE }]);
});
