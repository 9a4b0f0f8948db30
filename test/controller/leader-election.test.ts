import { test } from 'node:test';
import assert from 'node:assert/strict';
import { electIfLeaderless, fenceBroker, noLeader, partitionChange, shutDownBroker } from '../../src/controller/leader-election.ts';
import { changeIsr } from '../../src/controller/isr-change.ts';
import type { PartitionRecord } from '../../src/metadata/records.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const partition = (replicas: number[], isr: number[], leader: number): PartitionRecord => ({
  type: 'partition', topicId: 'ab'.repeat(16), partition: 0, replicas, isr, leader, leaderEpoch: 5, partitionEpoch: 9,
});
const live = (...ids: number[]) => ({ canLead: (id: number) => ids.includes(id), unclean: false });

test('fencing the leader elects the first live ISR member in replica order and bumps both epochs', () => {
  const changed = fenceBroker(partition([1, 2, 3], [3, 2, 1], 1), 1, live(2, 3))!;
  assert.deepEqual([changed.leader, changed.isr, changed.leaderEpoch, changed.partitionEpoch], [2, [3, 2], 6, 10]);
});

test('fencing a follower shrinks the ISR but keeps the leader and its epoch', () => {
  const changed = fenceBroker(partition([1, 2, 3], [1, 2, 3], 1), 3, live(1, 2))!;
  assert.deepEqual([changed.leader, changed.isr, changed.leaderEpoch, changed.partitionEpoch], [1, [1, 2], 5, 10]);
  assert.equal(fenceBroker(partition([1, 2, 3], [1, 2], 1), 3, live(1, 2)), null, 'not in the ISR: nothing changes');
});

test('fencing the last ISR member leaves the partition leaderless with the ISR kept', () => {
  const changed = fenceBroker(partition([1, 2], [1], 1), 1, live(2))!;
  assert.deepEqual([changed.leader, changed.isr, changed.leaderEpoch], [noLeader, [1], 6]);
  const live2 = fenceBroker(partition([1, 2, 3], [1, 3], 1), 1, live(2))!;
  assert.deepEqual([live2.leader, live2.isr], [noLeader, [3]], 'a fenced ISR member cannot lead; an out-of-sync live one may not either');
});

test('unclean election picks any live replica and makes it the whole ISR', () => {
  const changed = fenceBroker(partition([1, 2, 3], [1], 1), 1, { canLead: (id) => id === 3, unclean: true })!;
  assert.deepEqual([changed.leader, changed.isr], [3, [3]]);
  const later = electIfLeaderless(partition([1, 2], [1], noLeader), { canLead: (id) => id === 2, unclean: true })!;
  assert.deepEqual([later.leader, later.isr], [2, [2]]);
});

test('a leaderless partition is led again when an ISR member comes back, not by an out-of-sync replica', () => {
  const changed = electIfLeaderless(partition([1, 2], [1], noLeader), live(1, 2))!;
  assert.deepEqual([changed.leader, changed.isr, changed.leaderEpoch, changed.partitionEpoch], [1, [1], 6, 10]);
  assert.equal(electIfLeaderless(partition([1, 2], [1], noLeader), live(2)), null);
  assert.equal(electIfLeaderless(partition([1, 2], [1, 2], 2), live(1, 2)), null, 'has a leader');
});

test('controlled shutdown moves leadership and ISR membership only where another ISR member can take over', () => {
  const led = shutDownBroker(partition([1, 2, 3], [1, 2, 3], 1), 1, live(2, 3))!;
  assert.deepEqual([led.leader, led.isr, led.leaderEpoch], [2, [2, 3], 6]);
  const followed = shutDownBroker(partition([2, 1], [2, 1], 2), 1, live(2))!;
  assert.deepEqual([followed.leader, followed.isr, followed.leaderEpoch], [2, [2], 5]);
  assert.equal(shutDownBroker(partition([1, 2], [1], 1), 1, live(2)), null, 'sole ISR member keeps leading');
  assert.equal(shutDownBroker(partition([1, 2], [1, 2], 1), 1, live()), null, 'the other member is not live');
});

test('partitionChange is null when nothing changes', () => {
  const p = partition([1, 2], [1, 2], 1);
  assert.equal(partitionChange(p, 1, [1, 2]), null);
  assert.deepEqual(partitionChange(p, 1, [2, 1])?.isr, [2, 1]);
});

test('AlterPartition validation: epochs, sender, ISR shape, eligibility of added members', () => {
  const p = partition([1, 2, 3], [1, 2], 1);
  const eligible = (id: number, epoch: number) => id !== 3 || epoch === -1 || epoch === 7;
  const request = (over: object) => ({ brokerId: 1, leaderEpoch: 5, partitionEpoch: 9, newIsr: [{ brokerId: 1, brokerEpoch: -1 }], ...over });
  const error = (over: object, isEligible = eligible) => {
    const outcome = changeIsr(p, request(over), isEligible);
    return 'errorCode' in outcome ? outcome.errorCode : ErrorCode.NONE;
  };
  assert.equal(error({ leaderEpoch: 4 }), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(error({ brokerId: 2 }), ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(error({ partitionEpoch: 8 }), ErrorCode.INVALID_UPDATE_VERSION);
  assert.equal(error({ newIsr: [{ brokerId: 2, brokerEpoch: -1 }] }), ErrorCode.INVALID_REQUEST, 'without the leader');
  assert.equal(error({ newIsr: [{ brokerId: 1, brokerEpoch: -1 }, { brokerId: 4, brokerEpoch: -1 }] }), ErrorCode.INVALID_REQUEST, 'not a replica');
  assert.equal(error({ newIsr: [{ brokerId: 1, brokerEpoch: -1 }, { brokerId: 1, brokerEpoch: -1 }] }), ErrorCode.INVALID_REQUEST, 'duplicate');
  assert.equal(error({ newIsr: [{ brokerId: 1, brokerEpoch: -1 }, { brokerId: 3, brokerEpoch: 6 }] }), ErrorCode.INELIGIBLE_REPLICA, 'stale epoch');
  assert.equal(error({ newIsr: [{ brokerId: 1, brokerEpoch: -1 }, { brokerId: 3, brokerEpoch: -1 }] }, () => false), ErrorCode.INELIGIBLE_REPLICA, 'fenced');
  const grown = changeIsr(p, request({ newIsr: [1, 2, 3].map((brokerId) => ({ brokerId, brokerEpoch: brokerId === 3 ? 7 : -1 })) }), eligible);
  assert.ok('record' in grown && grown.record);
  assert.deepEqual([grown.record.isr, grown.record.leader, grown.record.leaderEpoch, grown.record.partitionEpoch], [[1, 2, 3], 1, 5, 10]);
  const shrunk = changeIsr(p, request({}), () => false);
  assert.ok('record' in shrunk && shrunk.record, 'removing members needs no eligibility');
  assert.deepEqual(shrunk.record.isr, [1]);
});
