/**
 * The metadata quorum as the CLI shows it (`kb cluster quorum`, the QUORUM
 * column of `kb cluster info`), from a DescribeQuorum answer: each voter's
 * and observer's status (leader, follower, observer), log end offset and
 * lag behind the leader's log end, with -1 (unknown) as null, and the
 * largest follower lag (in entries, and how long before the leader's last
 * caught-up time that voter was last caught up, like kafka-metadata-quorum's
 * MaxFollowerLag and MaxFollowerLagTimeMs). Timestamps are the leader's
 * wall clock in ms.
 */
import type { QuorumInfo, QuorumReplica } from '../client/admin.ts';

export interface Replica {
  nodeId: number;
  status: 'leader' | 'follower' | 'observer';
  logEndOffset: number | null;
  lag: number | null;
  lastFetchTimestamp: number | null;
  lastCaughtUpTimestamp: number | null;
}

export interface QuorumStatus {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  maxFollowerLag: number | null;
  maxFollowerLagTimeMs: number | null;
  voters: Replica[];
  observers: Replica[];
}

/** Lags against the leader's log end; -1 (unknown) as null. */
export function quorumStatus(quorum: QuorumInfo): QuorumStatus {
  const known = (value: bigint) => (value < 0n ? null : Number(value));
  const leaderEnd = known(quorum.voters.find((v) => v.replicaId === quorum.leaderId)?.logEndOffset ?? -1n);
  const replica = (r: QuorumReplica, observer: boolean): Replica => {
    const logEndOffset = known(r.logEndOffset);
    return {
      nodeId: r.replicaId,
      status: observer ? 'observer' : r.replicaId === quorum.leaderId ? 'leader' : 'follower',
      logEndOffset,
      lag: logEndOffset === null || leaderEnd === null ? null : Math.max(0, leaderEnd - logEndOffset),
      lastFetchTimestamp: known(r.lastFetchTimestamp),
      lastCaughtUpTimestamp: known(r.lastCaughtUpTimestamp),
    };
  };
  const voters = quorum.voters.map((r) => replica(r, false)).sort((a, b) => a.nodeId - b.nodeId);
  const observers = quorum.observers.map((r) => replica(r, true)).sort((a, b) => a.nodeId - b.nodeId);
  const leader = voters.find((v) => v.status === 'leader');
  const laggiest = voters.filter((v) => v.lag !== null).sort((a, b) => b.lag! - a.lag!)[0];
  const lagTime = leader?.lastCaughtUpTimestamp != null && laggiest?.lastCaughtUpTimestamp != null ? leader.lastCaughtUpTimestamp - laggiest.lastCaughtUpTimestamp : null;
  return {
    leaderId: quorum.leaderId,
    leaderEpoch: quorum.leaderEpoch,
    highWatermark: Number(quorum.highWatermark),
    maxFollowerLag: laggiest?.lag ?? null,
    maxFollowerLagTimeMs: lagTime,
    voters,
    observers,
  };
}
