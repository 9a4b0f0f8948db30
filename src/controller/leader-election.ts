/**
 * Leader election and ISR changes for one partition, as Kafka's controller
 * makes them. Pure: given a partition's current record and which brokers may
 * lead, each function returns the changed PartitionRecord or null when
 * nothing changes. A new leader bumps leaderEpoch; any change bumps
 * partitionEpoch.
 *
 * The leader is the first replica (in assignment order) that is in the ISR
 * and may lead. With none, the partition is leaderless (leader -1, ISR kept)
 * unless unclean election is allowed: then the first replica that may lead,
 * alone in the ISR. The ISR never becomes empty: its last member stays even
 * when fenced, so the replica with every acknowledged write is remembered.
 */
import { ErrorCode } from '../protocol/errors.ts';
import type { PartitionRecord } from '../metadata/records.ts';

export const noLeader = -1;

export interface Eligibility {
  /** Registered, unfenced and not shutting down. */
  canLead(brokerId: number): boolean;
  /** unclean.leader.election.enable for this partition's topic. */
  unclean: boolean;
}

function elect(partition: PartitionRecord, isr: number[], eligibility: Eligibility): { leader: number; isr: number[] } {
  const inSync = partition.replicas.find((id) => isr.includes(id) && eligibility.canLead(id));
  if (inSync !== undefined) return { leader: inSync, isr };
  const unclean = eligibility.unclean ? partition.replicas.find((id) => eligibility.canLead(id)) : undefined;
  if (unclean !== undefined) return { leader: unclean, isr: [unclean] };
  return { leader: noLeader, isr };
}

/** The record with `leader` and `isr`, epochs bumped, or null if both are as they were. */
export function partitionChange(partition: PartitionRecord, leader: number, isr: number[]): PartitionRecord | null {
  const sameIsr = isr.length === partition.isr.length && isr.every((id, i) => partition.isr[i] === id);
  if (leader === partition.leader && sameIsr) return null;
  return {
    ...partition,
    leader,
    isr,
    leaderEpoch: leader === partition.leader ? partition.leaderEpoch : partition.leaderEpoch + 1,
    partitionEpoch: partition.partitionEpoch + 1,
  };
}

function withoutMember(isr: number[], brokerId: number): number[] {
  const rest = isr.filter((id) => id !== brokerId);
  return rest.length > 0 ? rest : isr;
}

/**
 * `brokerId` is fenced (or re-registered): it leaves the ISR unless it is
 * the last member, and if it led, the leadership moves on (`eligibility`
 * must already exclude it).
 */
export function fenceBroker(partition: PartitionRecord, brokerId: number, eligibility: Eligibility): PartitionRecord | null {
  if (partition.leader !== brokerId && !partition.isr.includes(brokerId)) return null;
  const isr = withoutMember(partition.isr, brokerId);
  if (partition.leader !== brokerId && partition.leader !== noLeader) return partitionChange(partition, partition.leader, isr);
  const elected = elect(partition, isr, eligibility);
  return partitionChange(partition, elected.leader, elected.isr);
}

/**
 * `brokerId` is shutting down in a controlled way: where another ISR member
 * may take over, it leaves the ISR and hands its leadership to that member;
 * where none can, the partition stays as it is (it still leads there).
 */
export function shutDownBroker(partition: PartitionRecord, brokerId: number, eligibility: Eligibility): PartitionRecord | null {
  if (!partition.isr.includes(brokerId)) return null;
  const others = partition.isr.filter((id) => id !== brokerId);
  if (!others.some((id) => eligibility.canLead(id))) return null;
  if (partition.leader !== brokerId && partition.leader !== noLeader) return partitionChange(partition, partition.leader, others);
  const elected = elect(partition, others, eligibility);
  return partitionChange(partition, elected.leader, elected.isr);
}

/** A leaderless partition gets a leader if one of its replicas may now lead. */
export function electIfLeaderless(partition: PartitionRecord, eligibility: Eligibility): PartitionRecord | null {
  if (partition.leader !== noLeader) return null;
  const elected = elect(partition, partition.isr, eligibility);
  return elected.leader === noLeader ? null : partitionChange(partition, elected.leader, elected.isr);
}

/** ElectLeaders' election types, by their wire value. */
export const electionTypes = { preferred: 0, unclean: 1 } as const;
export type ElectionType = keyof typeof electionTypes;

/**
 * An election asked for by ElectLeaders, with Kafka's outcomes: preferred
 * makes the first replica leader if it is in the ISR and may lead
 * (ELECTION_NOT_NEEDED when it already leads, PREFERRED_LEADER_NOT_AVAILABLE
 * when it cannot); unclean gives a partition without a live leader the
 * first ISR member that may lead, else the first replica that may lead,
 * alone in the ISR (ELECTION_NOT_NEEDED when a live leader exists,
 * ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica may lead).
 */
export function electLeader(
  partition: PartitionRecord,
  type: ElectionType,
  canLead: (brokerId: number) => boolean,
): PartitionRecord | { errorCode: number } {
  if (type === 'preferred') {
    const preferred = partition.replicas[0];
    if (partition.leader === preferred) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED };
    if (!partition.isr.includes(preferred) || !canLead(preferred)) return { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE };
    return partitionChange(partition, preferred, partition.isr)!;
  }
  if (partition.leader !== noLeader && canLead(partition.leader)) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED };
  const elected = elect(partition, partition.isr, { canLead, unclean: true });
  if (elected.leader === noLeader) return { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE };
  return partitionChange(partition, elected.leader, elected.isr) ?? { errorCode: ErrorCode.ELECTION_NOT_NEEDED };
}
