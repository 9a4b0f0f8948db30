/**
 * The messages Raft nodes exchange, as plain objects named after the Kafka
 * APIs that carry them on the wire (KRaft): Vote (52), BeginQuorumEpoch
 * (53), EndQuorumEpoch (54), Fetch (1, with a replica id) and
 * FetchSnapshot (59). Each field maps onto a field of the generated codec
 * in src/protocol/generated/ (named the same unless noted); the transport
 * adds what is implied here: cluster id, the `__cluster_metadata` topic and
 * partition 0, directory ids, endpoints.
 *
 * Conventions, as on the wire: a node id of -1 means "none / unknown";
 * offsets are safe integers (int64 on the wire); `correlationId` pairs a
 * response with its request (the transport maps it onto the connection's
 * correlation ids). Records travel as LogEntry objects; the wire mapping
 * encodes them as record batches (leaderChange as a control record).
 */
import type { EpochEndOffset, LogEntry, SnapshotId } from './raft-log.ts';

/** Kafka's "no node" id, used for unknown leaders. */
export const noNode = -1;

export interface VoteRequest {
  readonly type: 'Vote';
  readonly correlationId: number;
  /** The epoch the candidate stands in (for a pre-vote: its epoch + 1, which it has not moved to). */
  readonly candidateEpoch: number;
  readonly candidateId: number;
  /** The voter the request is for. */
  readonly voterId: number;
  /** Epoch of the candidate's last entry. */
  readonly lastOffsetEpoch: number;
  /** The candidate's log end offset (KRaft sends the end offset here). */
  readonly lastOffset: number;
  /** A pre-vote (KIP-996): would the voter vote for this candidate? Answering changes nothing on the voter. Absent: a vote. */
  readonly preVote?: boolean;
}

export interface VoteResponse {
  readonly type: 'VoteResponse';
  readonly correlationId: number;
  readonly errorCode: number;
  /** The responder's view after handling the request. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly voteGranted: boolean;
}

export interface BeginQuorumEpochRequest {
  readonly type: 'BeginQuorumEpoch';
  readonly correlationId: number;
  readonly voterId: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export interface EndQuorumEpochRequest {
  readonly type: 'EndQuorumEpoch';
  readonly correlationId: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  /** Voters in the order the resigning leader prefers as its successor (most caught up first). */
  readonly preferredSuccessors: readonly number[];
}

/** The answer to BeginQuorumEpoch and EndQuorumEpoch (the same fields on the wire). */
export interface QuorumEpochResponse {
  readonly type: 'BeginQuorumEpochResponse' | 'EndQuorumEpochResponse';
  readonly correlationId: number;
  readonly errorCode: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export interface FetchRequest {
  readonly type: 'Fetch';
  readonly correlationId: number;
  /** ReplicaState.replicaId on the wire. */
  readonly replicaId: number;
  readonly currentLeaderEpoch: number;
  readonly fetchOffset: number;
  readonly lastFetchedEpoch: number;
  readonly maxWaitMs: number;
  readonly maxBytes: number;
}

export interface FetchResponse {
  readonly type: 'FetchResponse';
  readonly correlationId: number;
  readonly errorCode: number;
  /** currentLeader on the wire. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  /** Set when the fetcher's log diverges: truncate to where it agrees and fetch again. */
  readonly divergingEpoch: EpochEndOffset | null;
  /** Set when the fetch offset is below the leader's log: fetch this snapshot instead. */
  readonly snapshotId: SnapshotId | null;
  readonly records: readonly LogEntry[];
}

export interface FetchSnapshotRequest {
  readonly type: 'FetchSnapshot';
  readonly correlationId: number;
  readonly replicaId: number;
  readonly currentLeaderEpoch: number;
  readonly snapshotId: SnapshotId;
  readonly position: number;
  readonly maxBytes: number;
}

export interface FetchSnapshotResponse {
  readonly type: 'FetchSnapshotResponse';
  readonly correlationId: number;
  readonly errorCode: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly snapshotId: SnapshotId;
  /** Total bytes of the snapshot. */
  readonly size: number;
  readonly position: number;
  /** unalignedRecords on the wire. */
  readonly bytes: Uint8Array;
}

/** The quorum epoch a message names: the one a node moves to when it is higher than its own. */
export function quorumEpochOf(message: RaftMessage): number {
  switch (message.type) {
    case 'Vote':
      return message.candidateEpoch;
    case 'Fetch':
    case 'FetchSnapshot':
      return message.currentLeaderEpoch;
    default:
      return message.leaderEpoch;
  }
}

export type RaftMessage =
  | VoteRequest
  | VoteResponse
  | BeginQuorumEpochRequest
  | EndQuorumEpochRequest
  | QuorumEpochResponse
  | FetchRequest
  | FetchResponse
  | FetchSnapshotRequest
  | FetchSnapshotResponse;

export interface Outbound {
  readonly to: number;
  readonly message: RaftMessage;
}
