/**
 * Maps the Raft core's messages (messages.ts) onto Kafka's own wire
 * messages, so voters talk over the broker's one listener with Kafka's API
 * keys. `toWire(message, clusterId, topic, partition)` gives the body for
 * the generated codecs (src/protocol/generated/) with its API key and
 * version; `requestFromWire` / `responseFromWire` read such a body back.
 * A response body cannot be told from a request body by its API key alone,
 * hence two readers.
 *
 * Versions (fixed; the newest the generated codecs have, all flexible):
 * Vote v2 (52; PreVote, KIP-996), BeginQuorumEpoch v1 (53), EndQuorumEpoch v1 (54),
 * Fetch v17 (1), FetchSnapshot v1 (59). Only these versions are read;
 * another version is the peer's fault (ProtocolError). Fetch v17 names the
 * fetching voter in replicaState.replicaId (the top-level replicaId is gone
 * since v15) and the topic by id, hence `RaftTopic` carries both a name
 * (every other API) and an id (Fetch); the default is Kafka's metadata
 * topic `__cluster_metadata` with its fixed id 00..01.
 *
 * Correlation: a message's correlationId is not in the body. The sender's
 * connection writes the frame under a correlation id of its own and
 * remembers which Raft correlationId it stands for; the reader passes the
 * Raft correlationId to *FromWire (for a request received, any id unique on
 * that connection, e.g. the frame's; the Raft answer carries it back, and
 * the connection answers the frame with the matching frame id).
 *
 * Errors: a Raft message has one errorCode. Errors about the request as a
 * whole (INCONSISTENT_CLUSTER_ID, INVALID_REQUEST) go in the top-level
 * error code, as Kafka answers them, with the partition still present and
 * NONE; every other error goes in the partition's error code. Reading takes
 * the top-level code when set, else the partition's; a top-level error may
 * come without any partition (Kafka does that), then leader and epoch read
 * as unknown (-1) and the rest as empty.
 *
 * Log entries travel in Fetch's `records` as v2 record batches, as the
 * metadata log stores them: one batch per run of consecutive entries with
 * the same epoch and kind; baseOffset is the first entry's offset,
 * partitionLeaderEpoch the epoch, each record's value an entry's payload
 * (timestamps 0: entries carry none). A leaderChange entry is a control
 * batch whose record key is Kafka's control key (version 0, type 2 =
 * LEADER_CHANGE) and whose value is the (empty) payload. A batch cut short
 * at the end of `records` is dropped, as Fetch allows: the follower
 * fetches it again. Snapshot chunks travel as FetchSnapshot's
 * unalignedRecords, unchanged. Byte fields read back are views, not copies.
 * Endpoints and directory ids are left empty/zero: voters find each other
 * through the --voters list.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import * as beginQuorumEpochRequest from '../../protocol/generated/begin-quorum-epoch-request.ts';
import * as beginQuorumEpochResponse from '../../protocol/generated/begin-quorum-epoch-response.ts';
import * as endQuorumEpochRequest from '../../protocol/generated/end-quorum-epoch-request.ts';
import * as endQuorumEpochResponse from '../../protocol/generated/end-quorum-epoch-response.ts';
import * as fetchRequest from '../../protocol/generated/fetch-request.ts';
import * as fetchResponse from '../../protocol/generated/fetch-response.ts';
import * as fetchSnapshotRequest from '../../protocol/generated/fetch-snapshot-request.ts';
import * as fetchSnapshotResponse from '../../protocol/generated/fetch-snapshot-response.ts';
import * as voteRequest from '../../protocol/generated/vote-request.ts';
import * as voteResponse from '../../protocol/generated/vote-response.ts';
import { ProtocolError } from '../../protocol/primitives.ts';
import { recordBatches } from '../../protocol/records/batch-splitter.ts';
import { decodeRecordBatch, encodeRecordBatch, type RecordBatch } from '../../protocol/records/record-batch.ts';
import type {
  BeginQuorumEpochRequest,
  EndQuorumEpochRequest,
  FetchRequest,
  FetchResponse,
  FetchSnapshotRequest,
  FetchSnapshotResponse,
  QuorumEpochResponse,
  RaftMessage,
  VoteRequest,
  VoteResponse,
} from './messages.ts';
import type { EpochEndOffset, LogEntry } from './raft-log.ts';
import { metadataTopicId, metadataTopicName } from '../../protocol/well-known.ts';

/** The one version each Raft API is written and read in, by API key. */
export const raftApiVersions: Readonly<Record<number, number>> = {
  [ApiKeys.Fetch]: 17,
  [ApiKeys.Vote]: 2,
  [ApiKeys.BeginQuorumEpoch]: 1,
  [ApiKeys.EndQuorumEpoch]: 1,
  [ApiKeys.FetchSnapshot]: 1,
};

export interface RaftTopic {
  readonly name: string;
  /** The topic id (16 bytes), which Fetch v13+ uses instead of the name. */
  readonly id: Buffer;
}

/** Kafka's metadata topic: its name and fixed id (Uuid.METADATA_TOPIC_ID, 00..01). */
export const metadataTopic: RaftTopic = {
  name: metadataTopicName,
  id: metadataTopicId,
};

export interface WireMessage {
  readonly apiKey: number;
  readonly apiVersion: number;
  /** A body for the generated codec of apiKey/apiVersion (request or response as the message is). */
  readonly body: unknown;
}

/** Errors Kafka reports for the request as a whole, in the top-level error code. */
const topLevelErrors: ReadonlySet<number> = new Set([ErrorCode.INCONSISTENT_CLUSTER_ID, ErrorCode.INVALID_REQUEST]);

/** Kafka's control record key: version int16 0, type int16 2 (LEADER_CHANGE). */
const leaderChangeControlKey = Buffer.from([0, 0, 0, 2]);
const controlTypeLeaderChange = 2;
const emptyBytes = new Uint8Array(0);

export function toWire(message: RaftMessage, clusterId: string, topic: RaftTopic = metadataTopic, partition = 0): WireMessage {
  switch (message.type) {
    case 'Vote':
      return wire(ApiKeys.Vote, {
        ...voteRequest.defaultVoteRequest(),
        clusterId,
        voterId: message.voterId,
        topics: [{ topicName: topic.name, partitions: [{
          ...voteRequest.defaultPartitionData(),
          partitionIndex: partition,
          candidateEpoch: message.candidateEpoch,
          candidateId: message.candidateId,
          lastOffsetEpoch: message.lastOffsetEpoch,
          lastOffset: BigInt(message.lastOffset),
          preVote: message.preVote ?? false,
        }] }],
      } satisfies voteRequest.VoteRequest);
    case 'VoteResponse': {
      const { top, inPartition } = splitError(message.errorCode);
      return wire(ApiKeys.Vote, {
        ...voteResponse.defaultVoteResponse(),
        errorCode: top,
        topics: [{ topicName: topic.name, partitions: [{
          partitionIndex: partition,
          errorCode: inPartition,
          leaderId: message.leaderId,
          leaderEpoch: message.leaderEpoch,
          voteGranted: message.voteGranted,
        }] }],
      } satisfies voteResponse.VoteResponse);
    }
    case 'BeginQuorumEpoch':
      return wire(ApiKeys.BeginQuorumEpoch, {
        ...beginQuorumEpochRequest.defaultBeginQuorumEpochRequest(),
        clusterId,
        voterId: message.voterId,
        topics: [{ topicName: topic.name, partitions: [{
          ...beginQuorumEpochRequest.defaultPartitionData(),
          partitionIndex: partition,
          leaderId: message.leaderId,
          leaderEpoch: message.leaderEpoch,
        }] }],
      } satisfies beginQuorumEpochRequest.BeginQuorumEpochRequest);
    case 'EndQuorumEpoch':
      return wire(ApiKeys.EndQuorumEpoch, {
        ...endQuorumEpochRequest.defaultEndQuorumEpochRequest(),
        clusterId,
        topics: [{ topicName: topic.name, partitions: [{
          ...endQuorumEpochRequest.defaultPartitionData(),
          partitionIndex: partition,
          leaderId: message.leaderId,
          leaderEpoch: message.leaderEpoch,
          preferredCandidates: message.preferredSuccessors.map((candidateId) => ({
            ...endQuorumEpochRequest.defaultReplicaInfo(),
            candidateId,
          })),
        }] }],
      } satisfies endQuorumEpochRequest.EndQuorumEpochRequest);
    case 'BeginQuorumEpochResponse':
    case 'EndQuorumEpochResponse': {
      // The two responses have the same fields; the begin codec's defaults serve both.
      const { top, inPartition } = splitError(message.errorCode);
      const apiKey = message.type === 'BeginQuorumEpochResponse' ? ApiKeys.BeginQuorumEpoch : ApiKeys.EndQuorumEpoch;
      return wire(apiKey, {
        ...beginQuorumEpochResponse.defaultBeginQuorumEpochResponse(),
        errorCode: top,
        topics: [{ topicName: topic.name, partitions: [{
          partitionIndex: partition,
          errorCode: inPartition,
          leaderId: message.leaderId,
          leaderEpoch: message.leaderEpoch,
        }] }],
      } satisfies beginQuorumEpochResponse.BeginQuorumEpochResponse & endQuorumEpochResponse.EndQuorumEpochResponse);
    }
    case 'Fetch':
      return wire(ApiKeys.Fetch, {
        ...fetchRequest.defaultFetchRequest(),
        clusterId,
        replicaState: { ...fetchRequest.defaultReplicaState(), replicaId: message.replicaId },
        maxWaitMs: message.maxWaitMs,
        maxBytes: message.maxBytes,
        topics: [{ ...fetchRequest.defaultFetchTopic(), topicId: topic.id, partitions: [{
          ...fetchRequest.defaultFetchPartition(),
          partition,
          currentLeaderEpoch: message.currentLeaderEpoch,
          fetchOffset: BigInt(message.fetchOffset),
          lastFetchedEpoch: message.lastFetchedEpoch,
          partitionMaxBytes: message.maxBytes,
        }] }],
      } satisfies fetchRequest.FetchRequest);
    case 'FetchResponse': {
      const { top, inPartition } = splitError(message.errorCode);
      return wire(ApiKeys.Fetch, {
        ...fetchResponse.defaultFetchResponse(),
        errorCode: top,
        responses: [{ ...fetchResponse.defaultFetchableTopicResponse(), topicId: topic.id, partitions: [{
          ...fetchResponse.defaultPartitionData(),
          partitionIndex: partition,
          errorCode: inPartition,
          highWatermark: BigInt(message.highWatermark),
          logStartOffset: BigInt(message.logStartOffset),
          currentLeader: { leaderId: message.leaderId, leaderEpoch: message.leaderEpoch },
          divergingEpoch: wireEpochEndOffset(message.divergingEpoch, fetchResponse.defaultEpochEndOffset()),
          snapshotId: wireEpochEndOffset(message.snapshotId, fetchResponse.defaultSnapshotId()),
          records: entriesToRecords(message.records),
        }] }],
      } satisfies fetchResponse.FetchResponse);
    }
    case 'FetchSnapshot':
      return wire(ApiKeys.FetchSnapshot, {
        ...fetchSnapshotRequest.defaultFetchSnapshotRequest(),
        clusterId,
        replicaId: message.replicaId,
        maxBytes: message.maxBytes,
        topics: [{ name: topic.name, partitions: [{
          ...fetchSnapshotRequest.defaultPartitionSnapshot(),
          partition,
          currentLeaderEpoch: message.currentLeaderEpoch,
          snapshotId: { epoch: message.snapshotId.epoch, endOffset: BigInt(message.snapshotId.endOffset) },
          position: BigInt(message.position),
        }] }],
      } satisfies fetchSnapshotRequest.FetchSnapshotRequest);
    case 'FetchSnapshotResponse': {
      const { top, inPartition } = splitError(message.errorCode);
      return wire(ApiKeys.FetchSnapshot, {
        ...fetchSnapshotResponse.defaultFetchSnapshotResponse(),
        errorCode: top,
        topics: [{ name: topic.name, partitions: [{
          index: partition,
          errorCode: inPartition,
          snapshotId: { epoch: message.snapshotId.epoch, endOffset: BigInt(message.snapshotId.endOffset) },
          currentLeader: { leaderId: message.leaderId, leaderEpoch: message.leaderEpoch },
          size: BigInt(message.size),
          position: BigInt(message.position),
          unalignedRecords: bufferView(message.bytes),
        }] }],
      } satisfies fetchSnapshotResponse.FetchSnapshotResponse);
    }
  }
}

/** The Raft request a decoded request body carries; `correlationId` is the one the reader assigns (see the header). */
export function requestFromWire(apiKey: number, apiVersion: number, body: unknown, correlationId: number): RaftMessage {
  checkVersion(apiKey, apiVersion);
  switch (apiKey) {
    case ApiKeys.Vote: {
      const v = body as voteRequest.VoteRequest;
      const p = requestPartition(v.topics, 'Vote');
      return {
        type: 'Vote',
        correlationId,
        candidateEpoch: p.candidateEpoch,
        candidateId: p.candidateId,
        voterId: v.voterId,
        lastOffsetEpoch: p.lastOffsetEpoch,
        lastOffset: offsetOf(p.lastOffset),
        preVote: p.preVote,
      } satisfies VoteRequest;
    }
    case ApiKeys.BeginQuorumEpoch: {
      const v = body as beginQuorumEpochRequest.BeginQuorumEpochRequest;
      const p = requestPartition(v.topics, 'BeginQuorumEpoch');
      return { type: 'BeginQuorumEpoch', correlationId, voterId: v.voterId, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch } satisfies BeginQuorumEpochRequest;
    }
    case ApiKeys.EndQuorumEpoch: {
      const p = requestPartition((body as endQuorumEpochRequest.EndQuorumEpochRequest).topics, 'EndQuorumEpoch');
      return {
        type: 'EndQuorumEpoch',
        correlationId,
        leaderId: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        preferredSuccessors: p.preferredCandidates.map((c) => c.candidateId),
      } satisfies EndQuorumEpochRequest;
    }
    case ApiKeys.Fetch: {
      const v = body as fetchRequest.FetchRequest;
      const p = requestPartition(v.topics, 'Fetch');
      return {
        type: 'Fetch',
        correlationId,
        replicaId: v.replicaState.replicaId,
        currentLeaderEpoch: p.currentLeaderEpoch,
        fetchOffset: offsetOf(p.fetchOffset),
        lastFetchedEpoch: p.lastFetchedEpoch,
        maxWaitMs: v.maxWaitMs,
        maxBytes: v.maxBytes,
      } satisfies FetchRequest;
    }
    default: {
      const v = body as fetchSnapshotRequest.FetchSnapshotRequest;
      const p = requestPartition(v.topics, 'FetchSnapshot');
      return {
        type: 'FetchSnapshot',
        correlationId,
        replicaId: v.replicaId,
        currentLeaderEpoch: p.currentLeaderEpoch,
        snapshotId: raftEpochEndOffset(p.snapshotId),
        position: offsetOf(p.position),
        maxBytes: v.maxBytes,
      } satisfies FetchSnapshotRequest;
    }
  }
}

/** The Raft response a decoded response body carries; `correlationId` is that of the Raft request it answers. */
export function responseFromWire(apiKey: number, apiVersion: number, body: unknown, correlationId: number): RaftMessage {
  checkVersion(apiKey, apiVersion);
  switch (apiKey) {
    case ApiKeys.Vote: {
      const v = body as voteResponse.VoteResponse;
      const p = responsePartition(v.errorCode, v.topics, 'Vote');
      return {
        type: 'VoteResponse',
        correlationId,
        errorCode: errorOf(v.errorCode, p),
        leaderId: p?.leaderId ?? -1,
        leaderEpoch: p?.leaderEpoch ?? -1,
        voteGranted: p?.voteGranted ?? false,
      } satisfies VoteResponse;
    }
    case ApiKeys.BeginQuorumEpoch:
    case ApiKeys.EndQuorumEpoch: {
      const v = body as beginQuorumEpochResponse.BeginQuorumEpochResponse | endQuorumEpochResponse.EndQuorumEpochResponse;
      const begin = apiKey === ApiKeys.BeginQuorumEpoch;
      const p = responsePartition(v.errorCode, v.topics, begin ? 'BeginQuorumEpoch' : 'EndQuorumEpoch');
      return {
        type: begin ? 'BeginQuorumEpochResponse' : 'EndQuorumEpochResponse',
        correlationId,
        errorCode: errorOf(v.errorCode, p),
        leaderId: p?.leaderId ?? -1,
        leaderEpoch: p?.leaderEpoch ?? -1,
      } satisfies QuorumEpochResponse;
    }
    case ApiKeys.Fetch: {
      const v = body as fetchResponse.FetchResponse;
      const p = responsePartition(v.errorCode, v.responses, 'Fetch');
      return {
        type: 'FetchResponse',
        correlationId,
        errorCode: errorOf(v.errorCode, p),
        leaderId: p?.currentLeader.leaderId ?? -1,
        leaderEpoch: p?.currentLeader.leaderEpoch ?? -1,
        highWatermark: p ? offsetOf(p.highWatermark) : -1,
        logStartOffset: p ? offsetOf(p.logStartOffset) : -1,
        divergingEpoch: p && p.divergingEpoch.endOffset >= 0n ? raftEpochEndOffset(p.divergingEpoch) : null,
        snapshotId: p && p.snapshotId.endOffset >= 0n ? raftEpochEndOffset(p.snapshotId) : null,
        records: p ? recordsToEntries(p.records) : [],
      } satisfies FetchResponse;
    }
    default: {
      const v = body as fetchSnapshotResponse.FetchSnapshotResponse;
      const p = responsePartition(v.errorCode, v.topics, 'FetchSnapshot');
      return {
        type: 'FetchSnapshotResponse',
        correlationId,
        errorCode: errorOf(v.errorCode, p),
        leaderId: p?.currentLeader.leaderId ?? -1,
        leaderEpoch: p?.currentLeader.leaderEpoch ?? -1,
        snapshotId: p ? raftEpochEndOffset(p.snapshotId) : { epoch: -1, endOffset: -1 },
        size: p ? offsetOf(p.size) : 0,
        position: p ? offsetOf(p.position) : 0,
        bytes: p?.unalignedRecords ? uint8View(p.unalignedRecords) : emptyBytes,
      } satisfies FetchSnapshotResponse;
    }
  }
}

function wire(apiKey: number, body: unknown): WireMessage {
  return { apiKey, apiVersion: raftApiVersions[apiKey], body };
}

function checkVersion(apiKey: number, apiVersion: number): void {
  if (!Object.hasOwn(raftApiVersions, apiKey)) throw new RangeError(`API ${apiKey} carries no Raft message`);
  if (apiVersion !== raftApiVersions[apiKey]) {
    throw new ProtocolError(`Raft API ${apiKey} is read in v${raftApiVersions[apiKey]} only, not v${apiVersion}`);
  }
}

/** The top-level error when set, else the partition's. */
function errorOf(topError: number, partition: { readonly errorCode: number } | null): number {
  return topError !== ErrorCode.NONE ? topError : (partition?.errorCode ?? ErrorCode.NONE);
}

function splitError(errorCode: number): { top: number; inPartition: number } {
  return topLevelErrors.has(errorCode) ? { top: errorCode, inPartition: ErrorCode.NONE } : { top: ErrorCode.NONE, inPartition: errorCode };
}

/** The one partition a Raft body addresses, or null when it has none. */
function onlyPartition<P>(topics: readonly { readonly partitions: readonly P[] }[], api: string): P | null {
  if (topics.length === 0) return null;
  if (topics.length !== 1 || topics[0].partitions.length !== 1) {
    throw new ProtocolError(`a Raft ${api} addresses exactly one partition, not ${topics.length} topics / ${topics[0].partitions.length} partitions`);
  }
  return topics[0].partitions[0];
}

function requestPartition<P>(topics: readonly { readonly partitions: readonly P[] }[], api: string): P {
  const p = onlyPartition(topics, api);
  if (p === null) throw new ProtocolError(`a Raft ${api} request without a partition`);
  return p;
}

/** Only a top-level error may come without the partition. */
function responsePartition<P>(topError: number, topics: readonly { readonly partitions: readonly P[] }[], api: string): P | null {
  const p = onlyPartition(topics, api);
  if (p === null && topError === ErrorCode.NONE) throw new ProtocolError(`a Raft ${api} response without a partition or an error`);
  return p;
}

function offsetOf(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new ProtocolError(`offset ${value} is beyond what the Raft log handles`);
  return n;
}

function wireEpochEndOffset(value: EpochEndOffset | null, none: { epoch: number; endOffset: bigint }): { epoch: number; endOffset: bigint } {
  return value === null ? none : { epoch: value.epoch, endOffset: BigInt(value.endOffset) };
}

function raftEpochEndOffset(value: { readonly epoch: number; readonly endOffset: bigint }): EpochEndOffset {
  return { epoch: value.epoch, endOffset: offsetOf(value.endOffset) };
}

function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function uint8View(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Log entries as concatenated record batches, one per run of same-epoch, same-kind entries. */
function entriesToRecords(entries: readonly LogEntry[]): Buffer {
  const batches: Buffer[] = [];
  let start = 0;
  while (start < entries.length) {
    const first = entries[start];
    let end = start + 1;
    while (end < entries.length && entries[end].epoch === first.epoch && entries[end].kind === first.kind) {
      if (entries[end].offset !== entries[end - 1].offset + 1) throw new RangeError(`entries skip from offset ${entries[end - 1].offset} to ${entries[end].offset}`);
      end++;
    }
    const control = first.kind === 'leaderChange';
    batches.push(encodeRecordBatch({
      baseOffset: BigInt(first.offset),
      partitionLeaderEpoch: first.epoch,
      baseTimestamp: 0n,
      control,
      records: entries.slice(start, end).map((entry) => ({
        key: control ? leaderChangeControlKey : null,
        value: bufferView(entry.payload),
      })),
    }));
    start = end;
  }
  return Buffer.concat(batches);
}

function recordsToEntries(records: Buffer | null): LogEntry[] {
  const entries: LogEntry[] = [];
  if (records === null) return entries;
  for (const span of recordBatches(records)) {
    if (!span.complete) break;
    const batch = decodeRecordBatch(span.bytes);
    if (batch.magic !== 2) throw new ProtocolError(`Raft entries travel in v2 record batches, not magic ${batch.magic}`);
    const kind = batch.control ? 'leaderChange' : 'data';
    for (const record of batch.records) {
      if (batch.control) checkLeaderChangeKey(record.key, batch);
      entries.push({
        offset: offsetOf(batch.baseOffset) + record.offsetDelta,
        epoch: batch.partitionLeaderEpoch,
        kind,
        payload: record.value ? uint8View(record.value) : emptyBytes,
      });
    }
  }
  return entries;
}

function checkLeaderChangeKey(key: Buffer | null, batch: RecordBatch): void {
  if (key === null || key.length < 4 || key.readInt16BE(2) !== controlTypeLeaderChange) {
    throw new ProtocolError(`control batch at offset ${batch.baseOffset} holds a record that is not LEADER_CHANGE`);
  }
}
