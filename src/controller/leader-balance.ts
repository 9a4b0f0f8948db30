/**
 * Automatic leader rebalancing (auto.leader.rebalance.enable), as Kafka's
 * controller decides it. Pure: for each broker, its imbalance is the share
 * of the partitions it is the preferred leader of (first replica) that
 * another broker leads; where that share exceeds
 * leader.imbalance.per.broker.percentage, each of those partitions gets a
 * preferred-leader election that can succeed (the preferred replica is in
 * the ISR and may lead). Returns the changed PartitionRecords.
 */
import type { PartitionRecord } from '../metadata/records.ts';
import { electLeader } from './leader-election.ts';

/** Per preferred leader: how many partitions it should lead and how many others lead instead. */
export function leaderImbalance(partitions: Iterable<PartitionRecord>): Map<number, { preferred: number; ledElsewhere: PartitionRecord[] }> {
  const byBroker = new Map<number, { preferred: number; ledElsewhere: PartitionRecord[] }>();
  for (const partition of partitions) {
    const preferred = partition.replicas[0];
    const entry = byBroker.get(preferred) ?? { preferred: 0, ledElsewhere: [] };
    entry.preferred++;
    if (partition.leader !== preferred) entry.ledElsewhere.push(partition);
    byBroker.set(preferred, entry);
  }
  return byBroker;
}

export function rebalanceLeaders(
  partitions: Iterable<PartitionRecord>,
  imbalancePercentMax: number,
  canLead: (brokerId: number) => boolean,
): PartitionRecord[] {
  const changes: PartitionRecord[] = [];
  for (const { preferred, ledElsewhere } of leaderImbalance(partitions).values()) {
    if ((ledElsewhere.length * 100) / preferred <= imbalancePercentMax) continue;
    for (const partition of ledElsewhere) {
      const outcome = electLeader(partition, 'preferred', canLead);
      if (!('errorCode' in outcome)) changes.push(outcome);
    }
  }
  return changes;
}
