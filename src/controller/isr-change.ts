/**
 * Validation of one partition's AlterPartition request (an ISR change asked
 * for by its leader), in Kafka's order: the request's leader epoch must be
 * the current one (FENCED_LEADER_EPOCH), the sender the current leader
 * (NOT_LEADER_OR_FOLLOWER), its partition epoch the current one
 * (INVALID_UPDATE_VERSION); the new ISR distinct replicas that include the
 * leader (INVALID_REQUEST); every member it adds eligible, i.e. unfenced, not
 * shutting down and, when the leader names one, at its current broker epoch
 * (INELIGIBLE_REPLICA). Pure: returns an error code or the changed record
 * (null when the ISR is already the requested one).
 */
import { ErrorCode } from '../protocol/errors.ts';
import type { PartitionRecord } from '../metadata/records.ts';
import { partitionChange } from './leader-election.ts';

export interface IsrChangeRequest {
  /** The broker asking (it must lead the partition). */
  brokerId: number;
  leaderEpoch: number;
  partitionEpoch: number;
  /** Members of the new ISR with the broker epoch the leader saw (-1: not checked). */
  newIsr: { brokerId: number; brokerEpoch: number }[];
}

export function changeIsr(
  partition: PartitionRecord,
  request: IsrChangeRequest,
  isEligible: (brokerId: number, brokerEpoch: number) => boolean,
): { errorCode: number } | { record: PartitionRecord | null } {
  if (request.leaderEpoch !== partition.leaderEpoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH };
  if (request.brokerId !== partition.leader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  if (request.partitionEpoch !== partition.partitionEpoch) return { errorCode: ErrorCode.INVALID_UPDATE_VERSION };
  const isr = request.newIsr.map((m) => m.brokerId);
  const valid =
    new Set(isr).size === isr.length && isr.every((id) => partition.replicas.includes(id)) && isr.includes(partition.leader);
  if (!valid) return { errorCode: ErrorCode.INVALID_REQUEST };
  const added = request.newIsr.filter((m) => !partition.isr.includes(m.brokerId));
  if (added.some((m) => !isEligible(m.brokerId, m.brokerEpoch))) return { errorCode: ErrorCode.INELIGIBLE_REPLICA };
  return { record: partitionChange(partition, partition.leader, isr) };
}
