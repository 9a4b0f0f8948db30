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

const staticA = joinRequest({ clientId: 'a', groupInstanceId: 'instance-a' });
const staticB = joinRequest({ clientId: 'b', groupInstanceId: 'instance-b' });

test('a restarted static member takes over its instance without a rebalance and gets its assignment back', async () => {
  const { clock, manager, changes } = setup();
  const [a, oldB] = await formStableGroup(manager, clock, [staticA, staticB]);
  const changesBefore = changes.length;

  const newB = await manager.join(staticB);
  assert.equal(newB.errorCode, ErrorCode.NONE);
  assert.notEqual(newB.memberId, oldB.memberId);
  assert.equal(newB.generationId, 1);
  assert.equal(newB.leader, a.memberId);
  assert.deepEqual(newB.members, []);
  assert.equal((await manager.describe(['g']))[0].groupState, 'Stable');

  const sync = await manager.sync(syncRequest(newB, { groupInstanceId: 'instance-b' }));
  assert.equal(sync.errorCode, ErrorCode.NONE);
  assert.deepEqual(sync.assignment, assignmentFor(oldB.memberId));

  const fenced = await manager.heartbeat({
    groupId: 'g',
    memberId: oldB.memberId,
    generationId: 1,
    groupInstanceId: 'instance-b',
  });
  assert.equal(fenced.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  const fencedJoin = await manager.join({ ...staticB, memberId: oldB.memberId });
  assert.equal(fencedJoin.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(
    (await manager.sync(syncRequest(oldB, { groupInstanceId: 'instance-b' }))).errorCode,
    ErrorCode.FENCED_INSTANCE_ID,
  );

  assert.equal(changes.length, changesBefore + 1, 'the new member id is handed to persistence');
  assert.deepEqual(
    changes.at(-1)?.members.map((m) => [m.memberId, m.groupInstanceId]),
    [
      [a.memberId, 'instance-a'],
      [newB.memberId, 'instance-b'],
    ],
  );
});

test('a restarted static leader: before v9 it is shown the old leader id, from v9 it leads but skips the assignment', async () => {
  const { clock, manager } = setup();
  const [oldA] = await formStableGroup(manager, clock, [staticA, staticB]);

  const v8 = await manager.join(staticA);
  assert.equal(v8.leader, oldA.memberId);
  assert.equal(v8.skipAssignment, false);
  assert.deepEqual(v8.members, []);

  const v9 = await manager.join({ ...staticA, supportsSkipAssignment: true });
  assert.equal(v9.leader, v9.memberId);
  assert.equal(v9.skipAssignment, true);
  assert.deepEqual(
    v9.members.map((m) => m.groupInstanceId),
    ['instance-b', 'instance-a'],
  );
  assert.equal((await manager.describe(['g']))[0].groupState, 'Stable');
});

test('a static member rejoining with protocols that change the selected protocol triggers a rebalance', async () => {
  const { clock, manager } = setup();
  await formStableGroup(manager, clock, [{ ...staticA, protocols: [range, roundRobin] }]);
  const rejoin = await manager.join({ ...staticA, protocols: [roundRobin, range] });
  assert.equal(rejoin.generationId, 2);
  assert.equal(rejoin.protocolName, 'roundrobin');
  assert.equal(rejoin.leader, rejoin.memberId);
});

test('a static member restarting during CompletingRebalance fences its old sync and restarts the rebalance', async () => {
  const { clock, manager } = setup();
  const pending = [manager.join(staticA), manager.join(staticB)];
  clock.advance(0);
  const [a, oldB] = await Promise.all(pending);
  const oldSync = manager.sync(syncRequest(oldB, { groupInstanceId: 'instance-b' }));
  const newB = watch(manager.join(staticB));
  assert.equal((await oldSync).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal((await manager.describe(['g']))[0].groupState, 'PreparingRebalance');

  const aRejoin = await manager.join({ ...staticA, memberId: a.memberId });
  await flush();
  assert.equal(aRejoin.generationId, 2);
  assert.equal(newB.value?.generationId, 2);
  assert.deepEqual(
    aRejoin.members.map((m) => m.memberId).sort(),
    [a.memberId, newB.value?.memberId].sort(),
  );
});

test('LeaveGroup by instance id removes the static member; a stale member id for the instance is fenced', async () => {
  const { clock, manager } = setup();
  const [a, b] = await formStableGroup(manager, clock, [staticA, staticB]);
  const left = await manager.leave({
    groupId: 'g',
    members: [
      { memberId: '', groupInstanceId: 'instance-b' },
      { memberId: '', groupInstanceId: 'instance-unknown' },
      { memberId: 'stale', groupInstanceId: 'instance-a' },
    ],
  });
  assert.deepEqual(
    left.members.map((m) => m.errorCode),
    [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID],
  );
  const [described] = await manager.describe(['g']);
  assert.equal(described.groupState, 'PreparingRebalance');
  assert.deepEqual(
    described.members.map((m) => m.memberId),
    [a.memberId],
  );
  const gone = await manager.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1, groupInstanceId: 'instance-b' });
  assert.equal(gone.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a static member that does not rejoin is kept through the rebalance (its session decides)', async () => {
  const { clock, manager } = setup();
  const longSession = { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 20_000 };
  const [a, b] = await formStableGroup(manager, clock, [
    joinRequest({ clientId: 'a', ...longSession }),
    { ...staticB, ...longSession },
  ]);
  const c = watch(manager.join(joinRequest({ clientId: 'c', ...longSession })));
  const aRejoin = watch(manager.join(joinRequest({ clientId: 'a', memberId: a.memberId, ...longSession })));
  clock.advance(20_000);
  await flush();
  assert.equal(aRejoin.value?.generationId, 2);
  assert.equal(c.value?.generationId, 2);
  assert.deepEqual(
    aRejoin.value?.members.map((m) => [m.memberId, m.groupInstanceId]),
    [
      [a.memberId, null],
      [b.memberId, 'instance-b'],
      [c.value?.memberId, null],
    ],
  );
  // It can still come back for the new generation.
  const bJoin = await manager.join({ ...staticB, ...longSession, memberId: b.memberId });
  assert.equal(bJoin.generationId, 2);
});
