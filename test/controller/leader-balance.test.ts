import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderImbalance, rebalanceLeaders } from '../../src/controller/leader-balance.ts';
import { electLeader } from '../../src/controller/leader-election.ts';
import type { PartitionRecord } from '../../src/metadata/records.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const partition = (index: number, replicas: number[], isr: number[], leader: number): PartitionRecord => ({
  type: 'partition', topicId: 'ab'.repeat(16), partition: index, replicas, isr, leader, leaderEpoch: 1, partitionEpoch: 1,
});
const everyone = () => true;

test('electLeader preferred: not needed, not available (out of the ISR or cannot lead), or the first replica with both epochs bumped', () => {
  assert.deepEqual(electLeader(partition(0, [1, 2], [1, 2], 1), 'preferred', everyone), { errorCode: ErrorCode.ELECTION_NOT_NEEDED });
  assert.deepEqual(electLeader(partition(0, [1, 2], [2], 2), 'preferred', everyone), { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE });
  assert.deepEqual(electLeader(partition(0, [1, 2], [1, 2], 2), 'preferred', (id) => id === 2), { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE });
  const moved = electLeader(partition(0, [1, 2], [2, 1], 2), 'preferred', everyone) as PartitionRecord;
  assert.deepEqual([moved.leader, moved.isr, moved.leaderEpoch, moved.partitionEpoch], [1, [2, 1], 2, 2]);
});

test('electLeader unclean: only without a live leader; an ISR member first, else any live replica alone in the ISR', () => {
  assert.deepEqual(electLeader(partition(0, [1, 2], [1, 2], 2), 'unclean', everyone), { errorCode: ErrorCode.ELECTION_NOT_NEEDED });
  const clean = electLeader(partition(0, [1, 2, 3], [3], -1), 'unclean', (id) => id !== 1) as PartitionRecord;
  assert.deepEqual([clean.leader, clean.isr], [3, [3]]);
  const unclean = electLeader(partition(0, [1, 2, 3], [1], -1), 'unclean', (id) => id === 3) as PartitionRecord;
  assert.deepEqual([unclean.leader, unclean.isr], [3, [3]]);
  const fencedLeader = electLeader(partition(0, [1, 2], [1], 1), 'unclean', (id) => id === 2) as PartitionRecord;
  assert.deepEqual([fencedLeader.leader, fencedLeader.isr], [2, [2]], 'a leader that may not lead counts as none');
  assert.deepEqual(electLeader(partition(0, [1], [1], -1), 'unclean', () => false), { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE });
});

test('leaderImbalance counts, per preferred leader, the partitions led elsewhere', () => {
  const imbalance = leaderImbalance([partition(0, [1, 2], [1, 2], 1), partition(1, [1, 2], [1, 2], 2), partition(2, [2, 1], [1, 2], 2)]);
  assert.deepEqual([...imbalance].map(([id, e]) => [id, e.preferred, e.ledElsewhere.map((p) => p.partition)]), [[1, 2, [1]], [2, 1, []]]);
});

test('rebalanceLeaders acts only above the per-broker percentage, and only where the preferred leader can take over', () => {
  // Broker 1 prefers 10 partitions and leads 9: 10% imbalance.
  const partitions = Array.from({ length: 10 }, (_, i) => partition(i, [1, 2], [1, 2], i === 0 ? 2 : 1));
  assert.deepEqual(rebalanceLeaders(partitions, 10, everyone), [], '10% is not above 10%');
  assert.deepEqual(rebalanceLeaders(partitions, 9, everyone).map((p) => [p.partition, p.leader]), [[0, 1]]);
  partitions[1] = partition(1, [1, 2], [2], 2);
  assert.deepEqual(rebalanceLeaders(partitions, 10, everyone).map((p) => p.partition), [0], '20%: partition 1 cannot move (1 is out of its ISR)');
  assert.deepEqual(rebalanceLeaders(partitions, 10, (id) => id !== 1), [], 'broker 1 cannot lead');
});
