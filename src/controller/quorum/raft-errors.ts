/**
 * Answers to Raft requests that the host refuses before the Raft core sees
 * them (a request from another cluster, or one `refusedRequest` names): the
 * response message of the request's kind carrying only an error code, "no
 * leader" and epoch -1. A request from a sender its connection is not gets
 * no answer (SenderRefused).
 */
import { epochAcceptedMax } from '../../limits.ts';
import { quorumEpochOf, type RaftMessage } from '../raft/messages.ts';

type RaftRequest = Extract<RaftMessage, { type: 'Vote' | 'BeginQuorumEpoch' | 'EndQuorumEpoch' | 'Fetch' | 'FetchSnapshot' }>;

const noSnapshot = { epoch: -1, endOffset: -1 };

export function isRaftRequest(message: RaftMessage): message is RaftRequest {
  return ['Vote', 'BeginQuorumEpoch', 'EndQuorumEpoch', 'Fetch', 'FetchSnapshot'].includes(message.type);
}

/** A request names a sender its connection is not: the connection is to be closed. */
export class SenderRefused extends Error {
  override name = 'SenderRefused';
}

/** The node a request comes from, as it names itself. */
export function senderOf(request: RaftRequest): number {
  switch (request.type) {
    case 'Vote':
      return request.candidateId;
    case 'BeginQuorumEpoch':
    case 'EndQuorumEpoch':
      return request.leaderId;
    case 'Fetch':
    case 'FetchSnapshot':
      return request.replicaId;
  }
}

/**
 * Why a request that reached this node over the network is not for the Raft
 * core, or null: it names this node as its sender (a node never sends
 * itself requests), or an epoch past epochAcceptedMax.
 */
export function refusedRequest(request: RaftRequest, localNodeId: number): string | null {
  if (senderOf(request) === localNodeId) return `it names this node (${localNodeId}) as its sender`;
  const epoch = quorumEpochOf(request);
  if (epoch > epochAcceptedMax) return `it names epoch ${epoch}, past the highest taken (${epochAcceptedMax})`;
  return null;
}

export function errorAnswer(request: RaftRequest, errorCode: number): RaftMessage {
  const base = { correlationId: request.correlationId, errorCode, leaderId: -1, leaderEpoch: -1 };
  switch (request.type) {
    case 'Vote':
      return { type: 'VoteResponse', ...base, voteGranted: false };
    case 'BeginQuorumEpoch':
      return { type: 'BeginQuorumEpochResponse', ...base };
    case 'EndQuorumEpoch':
      return { type: 'EndQuorumEpochResponse', ...base };
    case 'Fetch':
      return { type: 'FetchResponse', ...base, highWatermark: -1, logStartOffset: -1, divergingEpoch: null, snapshotId: null, records: [] };
    case 'FetchSnapshot':
      return { type: 'FetchSnapshotResponse', ...base, snapshotId: noSnapshot, size: 0, position: 0, bytes: new Uint8Array(0) };
  }
}
