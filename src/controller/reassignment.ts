/**
 * Partition reassignment as Kafka's KRaft controller does it, for one
 * partition. Pure: each function takes the current PartitionRecord and
 * returns the changed one (partitionEpoch bumped, leaderEpoch bumped when
 * the leader changes) or null when nothing changes.
 *
 * - start: replicas := target followed by the current replicas not in it
 *   (the union); adding := target - current, removing := current - target.
 *   The new replicas then copy the log by normal replication and the leader
 *   adds them to the ISR (AlterPartition).
 * - complete, once every target replica is in the ISR: replicas := target,
 *   ISR := ISR ∩ target, adding/removing cleared; a leader that is being
 *   removed hands over to the first target replica that may lead.
 * - cancel: back to the original replicas (the union minus adding, in
 *   the union's order as Kafka does, so the original set but not always
 *   its order), ISR without the adding replicas; a leader that was an adding
 *   replica hands back to the first original in-sync replica that may lead.
 *
 * The state is the record itself, so it lives in the metadata log and
 * survives controller failover and restarts.
 */
import type { PartitionRecord } from '../metadata/records.ts';
import { noLeader, type Eligibility } from './leader-election.ts';

export function isReassigning(partition: PartitionRecord): boolean {
  return (partition.addingReplicas?.length ?? 0) > 0 || (partition.removingReplicas?.length ?? 0) > 0;
}

/** Why `target` cannot be a replica list, or null. `brokerProblem` names an unusable broker. */
export function targetProblem(target: readonly number[], brokerProblem: (id: number) => string | null): string | null {
  if (target.length === 0) return 'the target replica list is empty';
  if (new Set(target).size !== target.length) return `the target replicas [${target.join(',')}] repeat a broker`;
  for (const id of target) {
    const problem = brokerProblem(id);
    if (problem) return problem;
  }
  return null;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => b[i] === id);
}

function withoutReassignment(partition: PartitionRecord): PartitionRecord {
  const { addingReplicas: _adding, removingReplicas: _removing, ...rest } = partition;
  return rest;
}

/** `base` with the given fields, a new partition epoch, and a new leader epoch when the leader changed. */
function changed(previous: PartitionRecord, base: PartitionRecord, leader: number): PartitionRecord {
  return {
    ...base,
    leader,
    leaderEpoch: leader === previous.leader ? previous.leaderEpoch : previous.leaderEpoch + 1,
    partitionEpoch: previous.partitionEpoch + 1,
  };
}

/** The current leader if it stays a member of `isr`, else the first of `order` in `isr` that may lead (-1: none). */
function leaderWithin(partition: PartitionRecord, order: readonly number[], isr: readonly number[], eligibility: Eligibility): number {
  if (partition.leader !== noLeader && isr.includes(partition.leader)) return partition.leader;
  return order.find((id) => isr.includes(id) && eligibility.canLead(id)) ?? noLeader;
}

/** Starts moving `partition` to `target` (validated), completing at once when the target is already in sync. */
export function startReassignment(partition: PartitionRecord, target: readonly number[], eligibility: Eligibility): PartitionRecord | null {
  const current = partition.replicas;
  if (!isReassigning(partition) && sameList(current, target)) return null;
  const adding = target.filter((id) => !current.includes(id));
  const removing = current.filter((id) => !target.includes(id));
  const replicas = [...target, ...removing];
  const started: PartitionRecord = changed(partition, { ...withoutReassignment(partition), replicas }, partition.leader);
  if (adding.length > 0) started.addingReplicas = adding;
  if (removing.length > 0) started.removingReplicas = removing;
  return completeReassignment(started, eligibility) ?? started;
}

/** Finishes the reassignment in progress once every target replica is in the ISR; null while it cannot. */
export function completeReassignment(partition: PartitionRecord, eligibility: Eligibility): PartitionRecord | null {
  if (!isReassigning(partition)) return null;
  const removing = partition.removingReplicas ?? [];
  const target = partition.replicas.filter((id) => !removing.includes(id));
  if (!target.every((id) => partition.isr.includes(id))) return null;
  const isr = partition.isr.filter((id) => target.includes(id));
  const leader = leaderWithin(partition, target, isr, eligibility);
  return changed(partition, { ...withoutReassignment(partition), replicas: target, isr }, leader);
}

/**
 * Reverts the reassignment in progress; null when there is none. Refused
 * (a string, the reason) when no original replica is in the ISR: only new
 * replicas hold every acknowledged record then.
 */
export function cancelReassignment(partition: PartitionRecord, eligibility: Eligibility): PartitionRecord | string | null {
  if (!isReassigning(partition)) return null;
  const adding = partition.addingReplicas ?? [];
  const original = partition.replicas.filter((id) => !adding.includes(id));
  const isr = partition.isr.filter((id) => !adding.includes(id));
  if (isr.length === 0) return `no original replica of [${original.join(',')}] is in sync; cancelling would lose acknowledged records`;
  const leader = leaderWithin(partition, original, isr, eligibility);
  return changed(partition, { ...withoutReassignment(partition), replicas: original, isr }, leader);
}
