/**
 * Raft messages over Kafka's wire: every message type goes message ->
 * wire body -> request/response frame bytes -> decoded body -> message and
 * comes back equal; log entries of several epochs (and the leaderChange
 * control entry) share one Fetch response; snapshot chunks keep their
 * bytes; error codes land where Kafka puts them and read back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { ApiKeys } from '../../../src/protocol/generated/api-keys.ts';
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse } from '../../../src/protocol/frames.ts';
import type * as fetchRequest from '../../../src/protocol/generated/fetch-request.ts';
import type * as fetchResponse from '../../../src/protocol/generated/fetch-response.ts';
import type * as voteRequest from '../../../src/protocol/generated/vote-request.ts';
import type * as voteResponse from '../../../src/protocol/generated/vote-response.ts';
import { ProtocolError } from '../../../src/protocol/primitives.ts';
import { decodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { recordBatches } from '../../../src/protocol/records/batch-splitter.ts';
import type { FetchResponse, RaftMessage } from '../../../src/controller/raft/messages.ts';
import type { LogEntry } from '../../../src/controller/raft/raft-log.ts';
import { metadataTopic, requestFromWire, responseFromWire, toWire, type WireMessage } from '../../../src/controller/raft/wire.ts';

const clusterId = 'kb-test-cluster-0001';
const frameCorrelationId = 4242;
const sizePrefixBytes = 4;

function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text));
}

/** The body a peer decodes from the request frame, with the frame's header checked. */
function throughRequestFrame(w: WireMessage): unknown {
  const payload = encodeRequest(w.apiKey, w.apiVersion, frameCorrelationId, 'kb-raft', w.body).subarray(sizePrefixBytes);
  const header = decodeRequestHeader(payload);
  assert.equal(header.apiKey, w.apiKey);
  assert.equal(header.apiVersion, w.apiVersion);
  assert.equal(header.correlationId, frameCorrelationId);
  return decodeRequestBody(header.apiKey, header.apiVersion, payload, header.bodyOffset);
}

function throughResponseFrame(w: WireMessage): unknown {
  const frame = encodeResponse(w.apiKey, w.apiVersion, frameCorrelationId, w.body);
  const decoded = decodeResponse(w.apiKey, w.apiVersion, frame.subarray(sizePrefixBytes));
  assert.equal(decoded.correlationId, frameCorrelationId);
  return decoded.body;
}

const requests = new Set<RaftMessage['type']>(['Vote', 'BeginQuorumEpoch', 'EndQuorumEpoch', 'Fetch', 'FetchSnapshot']);

/** message -> wire -> bytes -> wire -> message. */
function roundTrip(message: RaftMessage): RaftMessage {
  const w = toWire(message, clusterId);
  return requests.has(message.type)
    ? requestFromWire(w.apiKey, w.apiVersion, throughRequestFrame(w), message.correlationId)
    : responseFromWire(w.apiKey, w.apiVersion, throughResponseFrame(w), message.correlationId);
}

const entries: LogEntry[] = [
  { offset: 10, epoch: 3, kind: 'data', payload: bytes('a') },
  { offset: 11, epoch: 3, kind: 'data', payload: bytes('bb') },
  { offset: 12, epoch: 4, kind: 'leaderChange', payload: new Uint8Array(0) },
  { offset: 13, epoch: 4, kind: 'data', payload: bytes('ccc') },
  { offset: 14, epoch: 4, kind: 'data', payload: new Uint8Array(0) },
  { offset: 15, epoch: 7, kind: 'leaderChange', payload: new Uint8Array(0) },
  { offset: 16, epoch: 7, kind: 'data', payload: bytes('d') },
];

function fetchResponseWith(fields: Partial<FetchResponse>): FetchResponse {
  return {
    type: 'FetchResponse',
    correlationId: 9,
    errorCode: ErrorCode.NONE,
    leaderId: 1,
    leaderEpoch: 7,
    highWatermark: 15,
    logStartOffset: 10,
    divergingEpoch: null,
    snapshotId: null,
    records: [],
    ...fields,
  };
}

const everyType: RaftMessage[] = [
  { type: 'Vote', correlationId: 1, candidateEpoch: 5, candidateId: 2, voterId: 3, lastOffsetEpoch: 4, lastOffset: 2 ** 40, preVote: true },
  { type: 'VoteResponse', correlationId: 1, errorCode: ErrorCode.NONE, leaderId: -1, leaderEpoch: 5, voteGranted: true },
  { type: 'BeginQuorumEpoch', correlationId: 2, voterId: 3, leaderId: 2, leaderEpoch: 5 },
  { type: 'BeginQuorumEpochResponse', correlationId: 2, errorCode: ErrorCode.NONE, leaderId: 2, leaderEpoch: 5 },
  { type: 'EndQuorumEpoch', correlationId: 3, leaderId: 2, leaderEpoch: 5, preferredSuccessors: [3, 1] },
  { type: 'EndQuorumEpochResponse', correlationId: 3, errorCode: ErrorCode.NONE, leaderId: 2, leaderEpoch: 5 },
  { type: 'Fetch', correlationId: 4, replicaId: 3, currentLeaderEpoch: 5, fetchOffset: 17, lastFetchedEpoch: 4, maxWaitMs: 500, maxBytes: 1 << 20 },
  fetchResponseWith({ records: entries }),
  { type: 'FetchSnapshot', correlationId: 5, replicaId: 3, currentLeaderEpoch: 5, snapshotId: { epoch: 4, endOffset: 100 }, position: 4096, maxBytes: 8192 },
  {
    type: 'FetchSnapshotResponse',
    correlationId: 5,
    errorCode: ErrorCode.NONE,
    leaderId: 2,
    leaderEpoch: 5,
    snapshotId: { epoch: 4, endOffset: 100 },
    size: 10_000,
    position: 4096,
    bytes: bytes('a chunk of snapshot bytes'),
  },
];

describe('Raft messages on the wire', () => {
  for (const message of everyType) {
    it(`${message.type} comes back equal through frame bytes`, () => {
      assert.deepEqual(roundTrip(message), message);
    });
  }

  it('uses Kafka API keys at fixed, newest versions, in the metadata topic partition 0', () => {
    const keys = everyType.map((m) => [m.type, toWire(m, clusterId).apiKey, toWire(m, clusterId).apiVersion]);
    assert.deepEqual(keys, [
      ['Vote', 52, 2], ['VoteResponse', 52, 2],
      ['BeginQuorumEpoch', 53, 1], ['BeginQuorumEpochResponse', 53, 1],
      ['EndQuorumEpoch', 54, 1], ['EndQuorumEpochResponse', 54, 1],
      ['Fetch', 1, 17], ['FetchResponse', 1, 17],
      ['FetchSnapshot', 59, 1], ['FetchSnapshotResponse', 59, 1],
    ]);
    const vote = toWire(everyType[0], clusterId).body as voteRequest.VoteRequest;
    assert.equal(vote.clusterId, clusterId);
    assert.equal(vote.topics[0].topicName, '__cluster_metadata');
    assert.equal(vote.topics[0].partitions[0].partitionIndex, 0);
    const fetch = toWire(everyType[6], clusterId).body as fetchRequest.FetchRequest;
    assert.equal(fetch.replicaState.replicaId, 3, 'v15+ names the fetching voter in replicaState');
    assert.ok(fetch.topics[0].topicId.equals(metadataTopic.id));
    assert.equal(metadataTopic.id.toString('hex'), '00000000000000000000000000000001');
  });

  it('carries another topic and partition when asked', () => {
    const topic = { name: 'other', id: Buffer.alloc(16, 7) };
    const body = toWire(everyType[1], clusterId, topic, 3).body as voteResponse.VoteResponse;
    assert.equal(body.topics[0].topicName, 'other');
    assert.equal(body.topics[0].partitions[0].partitionIndex, 3);
    const fetch = toWire(everyType[6], clusterId, topic, 3).body as fetchRequest.FetchRequest;
    assert.ok(fetch.topics[0].topicId.equals(topic.id));
    assert.equal(fetch.topics[0].partitions[0].partition, 3);
  });

  it('keeps correlation ids out of the body: the reader supplies them', () => {
    const w = toWire(everyType[0], clusterId);
    const decoded = requestFromWire(w.apiKey, w.apiVersion, throughRequestFrame(w), 77);
    assert.equal(decoded.correlationId, 77);
    assert.ok(!JSON.stringify(w.body, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes('correlation'));
  });
});

describe('log entries in a Fetch response', () => {
  it('become one v2 batch per run of same epoch and kind, epoch in partitionLeaderEpoch', () => {
    const body = throughResponseFrame(toWire(fetchResponseWith({ records: entries }), clusterId)) as fetchResponse.FetchResponse;
    const batches = [...recordBatches(body.responses[0].partitions[0].records!)].map((s) => decodeRecordBatch(s.bytes));
    assert.deepEqual(
      batches.map((b) => [Number(b.baseOffset), b.partitionLeaderEpoch, b.control, b.records.length]),
      [[10, 3, false, 2], [12, 4, true, 1], [13, 4, false, 2], [15, 7, true, 1], [16, 7, false, 1]],
    );
    assert.deepEqual([...batches[1].records[0].key!], [0, 0, 0, 2], 'control key: version 0, LEADER_CHANGE');
    assert.equal(batches[0].records[1].value!.toString(), 'bb');
  });

  it('round-trip with no entries, and a cut trailing batch is dropped', () => {
    assert.deepEqual(roundTrip(fetchResponseWith({ records: [] })), fetchResponseWith({ records: [] }));
    const w = toWire(fetchResponseWith({ records: entries }), clusterId);
    const body = throughResponseFrame(w) as fetchResponse.FetchResponse;
    const partition = body.responses[0].partitions[0];
    partition.records = partition.records!.subarray(0, partition.records!.length - 3);
    const read = responseFromWire(w.apiKey, w.apiVersion, body, 9) as FetchResponse;
    assert.deepEqual(read.records, entries.slice(0, -1));
  });

  it('carry divergingEpoch and snapshotId', () => {
    const diverging = fetchResponseWith({ divergingEpoch: { epoch: 3, endOffset: 12 } });
    assert.deepEqual(roundTrip(diverging), diverging);
    const snapshot = fetchResponseWith({ snapshotId: { epoch: 4, endOffset: 100 }, logStartOffset: 100 });
    assert.deepEqual(roundTrip(snapshot), snapshot);
  });

  it('refuse entries that skip an offset', () => {
    const gap = [entries[0], { ...entries[1], offset: 12 }];
    assert.throws(() => toWire(fetchResponseWith({ records: gap }), clusterId), RangeError);
  });
});

describe('snapshot chunks', () => {
  it('keep their bytes, positions and size, first, middle and empty last chunk', () => {
    const snapshot = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 251));
    for (const [position, length] of [[0, 128], [128, 128], [256, 44], [300, 0]]) {
      const chunk: RaftMessage = {
        type: 'FetchSnapshotResponse',
        correlationId: 6,
        errorCode: ErrorCode.NONE,
        leaderId: 2,
        leaderEpoch: 5,
        snapshotId: { epoch: 4, endOffset: 100 },
        size: snapshot.length,
        position,
        bytes: new Uint8Array(snapshot.subarray(position, position + length)),
      };
      assert.deepEqual(roundTrip(chunk), chunk);
    }
  });
});

describe('errors', () => {
  it('partition-level errors go in the partition and come back', () => {
    for (const errorCode of [ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_LEADER_EPOCH, ErrorCode.INCONSISTENT_VOTER_SET]) {
      const message = fetchResponseWith({ errorCode, leaderId: 3, leaderEpoch: 8 });
      const body = toWire(message, clusterId).body as fetchResponse.FetchResponse;
      assert.equal(body.errorCode, ErrorCode.NONE);
      assert.equal(body.responses[0].partitions[0].errorCode, errorCode);
      assert.deepEqual(roundTrip(message), message);
    }
    for (const errorCode of [ErrorCode.SNAPSHOT_NOT_FOUND, ErrorCode.POSITION_OUT_OF_RANGE]) {
      const message: RaftMessage = { ...(everyType[9] as RaftMessage & { type: 'FetchSnapshotResponse' }), errorCode, bytes: new Uint8Array(0), size: 0, position: 0 };
      assert.deepEqual(roundTrip(message), message);
    }
    const refused: RaftMessage = { type: 'VoteResponse', correlationId: 1, errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderId: 2, leaderEpoch: 9, voteGranted: false };
    assert.deepEqual(roundTrip(refused), refused);
  });

  it('errors about the whole request go top-level, the partition still carrying the leader', () => {
    for (const message of everyType.filter((m) => !requests.has(m.type))) {
      const failed = { ...message, errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID } as RaftMessage;
      const body = toWire(failed, clusterId).body as { errorCode: number };
      assert.equal(body.errorCode, ErrorCode.INCONSISTENT_CLUSTER_ID, failed.type);
      assert.deepEqual(roundTrip(failed), failed);
    }
  });

  it('a top-level error without any partition (as Kafka answers) reads as unknown leader', () => {
    const w = toWire(everyType[1], clusterId);
    const body = { ...(w.body as voteResponse.VoteResponse), errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, topics: [] };
    assert.deepEqual(responseFromWire(w.apiKey, w.apiVersion, throughResponseFrame({ ...w, body }), 1), {
      type: 'VoteResponse', correlationId: 1, errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, leaderId: -1, leaderEpoch: -1, voteGranted: false,
    });
    const fetch = toWire(fetchResponseWith({}), clusterId);
    const fetchBody = { ...(fetch.body as fetchResponse.FetchResponse), errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, responses: [] };
    const read = responseFromWire(fetch.apiKey, fetch.apiVersion, fetchBody, 9) as FetchResponse;
    assert.equal(read.errorCode, ErrorCode.INCONSISTENT_CLUSTER_ID);
    assert.deepEqual(read.records, []);
  });

  it('a Vote is a real one unless it says pre-vote, and a tagged field this node does not know (a newer peer\'s) is skipped', () => {
    const vote = { ...everyType[0], preVote: undefined } as RaftMessage;
    assert.deepEqual(roundTrip(vote), { ...vote, preVote: false });
    const w = toWire(everyType[0], clusterId);
    const payload = encodeRequest(w.apiKey, w.apiVersion, frameCorrelationId, 'kb-raft', w.body).subarray(sizePrefixBytes);
    assert.equal(payload.at(-1), 0, 'the body ends with an empty tagged-field section');
    const withUnknownTag = Buffer.concat([payload.subarray(0, -1), Buffer.from([1, 9, 2, 0xab, 0xcd])]); // one field: tag 9, 2 bytes
    const header = decodeRequestHeader(withUnknownTag);
    const body = decodeRequestBody(header.apiKey, header.apiVersion, withUnknownTag, header.bodyOffset);
    assert.deepEqual(requestFromWire(w.apiKey, w.apiVersion, body, 1), everyType[0]);
  });

  it('malformed bodies and other versions are the peer\'s fault', () => {
    const w = toWire(everyType[0], clusterId);
    const body = w.body as voteRequest.VoteRequest;
    assert.throws(() => requestFromWire(w.apiKey, w.apiVersion, { ...body, topics: [] }, 1), ProtocolError);
    assert.throws(() => requestFromWire(w.apiKey, w.apiVersion, { ...body, topics: [body.topics[0], body.topics[0]] }, 1), ProtocolError);
    assert.throws(() => requestFromWire(w.apiKey, 0, body, 1), ProtocolError);
    const response = toWire(everyType[1], clusterId);
    assert.throws(() => responseFromWire(response.apiKey, response.apiVersion, { ...(response.body as voteResponse.VoteResponse), topics: [] }, 1), ProtocolError);
    assert.throws(() => requestFromWire(ApiKeys.Fetch + 2, 0, body, 1), RangeError);
  });
});
