/**
 * Fetch (key 1), v0-12 advertised, for consumers (replica id -1) and for
 * follower replicas (replica id = their broker id; in ReplicaState from
 * v15). v13-17 are served to kb's own nodes only: advertising them would
 * make clients that know Metadata v9 at most use topic ids (CLIENTS.md,
 * topic-id trap). A fetch of the metadata topic (`__cluster_metadata`, by
 * id from v13) is the metadata quorum's and goes to it; other v13+ fetches
 * name topics by id (UNKNOWN_TOPIC_ID for an id no topic has). Sessionless: every
 * request is a full fetch and the response carries session id 0, which
 * keeps clients that ask for a session (platformatic sends id 0, epoch 0)
 * sessionless.
 *
 * On a client listener a replica fetch (replica id >= 0) is refused with
 * CLUSTER_AUTHORIZATION_FAILED (top-level from v7, per partition before)
 * and a fetch of the metadata topic closes the connection (dispatcher.ts).
 *
 * A partition this broker is still opening (a topic just created) is
 * waited for, up to max_wait_ms, before the checks.
 *
 * Per partition, first the checks: a consumer may Read the topic
 * (TOPIC_AUTHORIZATION_FAILED; auth/api-operations.ts); this broker leads it
 * (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION ...); the current
 * leader epoch (v9+, -1 = unchecked) is ours (FENCED_LEADER_EPOCH when
 * older, UNKNOWN_LEADER_EPOCH when newer). A follower must be a replica of
 * the partition (NOT_LEADER_OR_FOLLOWER); when its last fetched epoch
 * (v12+) shows its log diverging from ours, it gets the diverging epoch and
 * end offset and empty records; otherwise its fetch offset is its log end,
 * which may move the high watermark and the ISR.
 *
 * Then the reads: whole stored batches from the one holding the fetch
 * offset, up to the high watermark for consumers and up to the log end for
 * followers, within each partition's max bytes and the request's max_bytes
 * (capped by the broker's `fetch.max.bytes`), but at least one whole batch
 * for the first partition with data even past those (an empty partition
 * before it does not count); OFFSET_OUT_OF_RANGE outside [log start, log
 * end].
 * A consumer's read also fits in the broker's response memory
 * (`queued.max.response.bytes`: what fetched responses hold until their
 * sockets take them, e.g. answers to clients that do not read): while it
 * is full the fetch waits, up to max_wait_ms, and then reads at most what
 * is left of it (at least one batch, so the total may pass the bound by a
 * batch per fetch reading at that moment), or nothing at all when it is
 * still full. The read's budget is reserved while it reads, so concurrent
 * fetches do not count on the same room. Messages converted for Fetch v0-3
 * are copied into the request's memory, so they count too. Followers'
 * fetches count into it but do not wait (replication is bounded by
 * replica.fetch.response.max.bytes).
 * A partition in error carries empty records, never null, as Kafka's do:
 * librdkafka rejects a whole answer holding a null records field and then
 * retries the same fetch in a tight loop without ever seeing the error.
 * When fewer than min_bytes are available (and no partition failed) the
 * request parks until that many bytes are there, or max_wait_ms passes;
 * when the client's connection closes meanwhile, the request ends there
 * with no answer, reading and counting nothing more. A consumer in
 * read_committed (isolation_level 1, v4+) reads below the last stable
 * offset (the oldest open transaction's first offset, at most the high
 * watermark) and gets the aborted transactions (producer id, first offset)
 * that have records in what it read, to drop them; every answer carries
 * the last stable offset. Preferred read replica -1. What consumers get counts into the topic's bytes-out
 * and messages-out metrics (per batch header, or per converted message
 * below), and into its consumer_byte_rate quota (the delay is the
 * response's throttle_time_ms; the dispatcher mutes the connection); as in
 * Kafka, a consumer under a quota reads at most what the quota allows in a
 * whole window (but at least one batch). Batches are read into the request's pooled memory
 * (ctx.allocate), which the response refers to without copying.
 * A replica fetch (replica id >= 0) whose connection is not that broker's
 * own (controller-channel.ts actsAs) reads nothing and changes nothing:
 * CLUSTER_AUTHORIZATION_FAILED, top-level (v7+) and per partition. A
 * metadata-topic fetch claiming a replica its connection is not closes the
 * connection (raft-request.ts).
 *
 * Fetch v0-3 predates record batches: a consumer's read is converted, one
 * partition at a time, to legacy messages (magic 0 for v0-1, magic 1 for
 * v2-3; protocol/records/down-convert.ts), and the converted size is what
 * counts against the partition's and the request's max bytes (at least one
 * whole message for the first partition with data). The stored bytes are
 * then garbage: one partition's read is in memory beside the response at
 * most. A partition whose next batch is zstd-compressed, which old message
 * formats cannot carry, answers UNSUPPORTED_COMPRESSION_TYPE (as Kafka); a
 * stored batch that cannot be decoded, CORRUPT_MESSAGE.
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import type { ConnectionAccess } from '../auth/access-control.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ConsumerRead, Partition } from '../replica/partition.ts';
import type { FetchRequest } from '../../protocol/generated/fetch-request.ts';
import type { FetchResponse } from '../../protocol/generated/fetch-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler, type BrokerServices, type ResponseMemoryService } from './handler.ts';
import { isThrottledReplica, type ReplicationThrottle } from '../replica/replication-throttle.ts';
import { metadataTopic } from '../../controller/raft/wire.ts';
import type { Allocate } from '../server/buffer-pool.ts';
import { zeroUuid } from '../../protocol/well-known.ts';
import { handleRaftRequest } from './raft-request.ts';
import { actsAs } from '../controller-channel.ts';
import { downConvert, legacyMagicFor, type LegacyMagic } from '../../protocol/records/down-convert.ts';
import { recordBatches, recordCountOf } from '../../protocol/records/batch-splitter.ts';
import { offsets as headerOffsets } from '../../protocol/records/batch-header.ts';
import type { AbortedTransaction } from '../../protocol/generated/fetch-response.ts';

/** Fetch's isolation_level (v4+): 0 read_uncommitted, 1 read_committed. */
const readCommittedLevel = 1;

interface WantedPartition {
  /** '' for a topic id no topic has. */
  topic: string;
  topicId: Buffer;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

interface PartitionResult extends WantedPartition {
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  /** read_committed: the aborted transactions with records in `records`. */
  abortedTransactions: AbortedTransaction[];
  logStartOffset: bigint;
  records: Buffer;
  /** Records in `records` (for the metrics). */
  recordCount: number;
  divergingEpoch: { epoch: number; endOffset: bigint } | null;
}

/** A partition to read, or its answer already decided by the checks. */
type Checked = { wanted: WantedPartition; partition: Partition } | { answer: PartitionResult };

const noEpoch = { epoch: -1, endOffset: -1n };

export default defineHandler<FetchRequest, FetchResponse>({
  apiKey: ApiKeys.Fetch,
  minVersion: 0,
  maxVersion: 17,
  advertisedMaxVersion: 12,
  clientRefusal(request, apiVersion) {
    if (isMetadataTopicFetch(request, apiVersion)) return 'close';
    if (replicaIdOf(request, apiVersion) < 0) return null;
    const refused = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
    const topLevel = apiVersion >= 7;
    return {
      throttleTimeMs: 0,
      errorCode: topLevel ? refused : ErrorCode.NONE,
      sessionId: 0,
      responses: topLevel ? [] : request.topics.map((t) => ({
        topic: t.topic,
        topicId: zeroUuid,
        partitions: t.partitions.map((p) => ({ ...emptyPartition(apiVersion), partitionIndex: p.partition, errorCode: refused })),
      })),
      nodeEndpoints: [],
    };
  },
  async handle(request, ctx) {
    const services = ctx.services;
    if (isMetadataTopicFetch(request, ctx.apiVersion)) return (await handleRaftRequest(ApiKeys.Fetch, request, ctx)) as FetchResponse;
    const byId = ctx.apiVersion >= 13;
    const nameOf = (topicId: Buffer) => services.image.topicsById.get(topicId.toString('hex'))?.name ?? null;
    const wanted: WantedPartition[] = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: byId ? (nameOf(t.topicId) ?? '') : t.topic,
        topicId: t.topicId,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: p.lastFetchedEpoch,
      })),
    );
    const replicaId = replicaIdOf(request, ctx.apiVersion);
    const readCommitted = replicaId < 0 && ctx.apiVersion >= 4 && request.isolationLevel === readCommittedLevel;
    const refused = replicaId >= 0 && !actsAs(ctx, replicaId, 'a replica Fetch');
    const deadline = performance.now() + request.maxWaitMs;
    if (!refused) await services.replicas.whenOpened(wanted, request.maxWaitMs);
    const checked = wanted.map((w) => (refused ? answer(w, ErrorCode.CLUSTER_AUTHORIZATION_FAILED) : check(services, ctx.access, w, replicaId)));
    const follower = replicaId >= 0;
    const maxBytes = Math.min(ctx.apiVersion >= 3 ? request.maxBytes : 0x7fffffff, services.settings.int('fetch.max.bytes'));
    const throttle = services.replicas.leaderThrottle;
    const legacyMagic = legacyMagicFor(ctx.apiVersion);
    const memory = services.responseMemory;
    const read = async (): Promise<PartitionResult[]> => {
      if (follower) return readAll(checked, maxBytes, true, replicaId, false, legacyMagic, throttle, ctx.allocate);
      await untilMemoryFree(memory, deadline, ctx.clientGone);
      const budget = Math.min(maxBytes, memory.room, services.quotas.fetch.windowMax(ctx.principal, ctx.clientId));
      memory.take(budget);
      try {
        return await readAll(checked, budget, budget > 0, replicaId, readCommitted, legacyMagic, throttle, ctx.allocate);
      } finally {
        memory.give(budget);
      }
    };
    let results = await read();
    while (!results.some((r) => r.errorCode !== ErrorCode.NONE || r.divergingEpoch) && bytesOf(results) < request.minBytes && performance.now() < deadline) {
      await services.replicas.waitForData(wanted, deadline - performance.now(), ctx.clientGone);
      if (ctx.clientGone.aborted) return null; // nobody left to answer: read nothing more, count nothing
      results = await read();
    }
    if (!follower) for (const r of results) if (r.records.length > 0) services.metrics.consumed(r.topic, r.records.length, r.recordCount);
    const byTopic = new Map<string, PartitionResult[]>();
    for (const r of results) {
      const key = byId ? r.topicId.toString('hex') : r.topic;
      byTopic.set(key, [...(byTopic.get(key) ?? []), r]);
    }
    return {
      throttleTimeMs: follower ? 0 : services.quotas.fetch.recordAndThrottleMs(ctx.principal, ctx.clientId, bytesOf(results)),
      errorCode: refused ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : ErrorCode.NONE,
      sessionId: 0,
      responses: [...byTopic.values()].map((partitions) => ({
        topic: partitions[0].topic,
        topicId: byId ? partitions[0].topicId : zeroUuid,
        partitions: partitions.map((r) => ({
          ...emptyPartition(ctx.apiVersion),
          partitionIndex: r.partition,
          errorCode: r.errorCode,
          highWatermark: r.highWatermark,
          lastStableOffset: r.lastStableOffset,
          logStartOffset: r.logStartOffset,
          abortedTransactions: ctx.apiVersion >= 4 ? r.abortedTransactions : null,
          divergingEpoch: r.divergingEpoch ?? noEpoch,
          records: r.records,
        })),
      })),
      nodeEndpoints: [],
    };
  },
});

/** The fetching replica's broker id (v15+: in ReplicaState), -1 for a consumer. */
function replicaIdOf(request: FetchRequest, apiVersion: number): number {
  return apiVersion >= 15 ? request.replicaState.replicaId : request.replicaId;
}

/** A partition answer with nothing in it, as a base for every answer. */
function emptyPartition(apiVersion: number) {
  return {
    partitionIndex: -1,
    errorCode: ErrorCode.NONE,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: noEpoch,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: apiVersion >= 4 ? [] : null,
    preferredReadReplica: -1,
    records: Buffer.alloc(0),
  };
}

function isMetadataTopicFetch(request: FetchRequest, apiVersion: number): boolean {
  const [topic] = request.topics;
  return request.topics.length === 1 && (apiVersion >= 13 ? topic.topicId.equals(metadataTopic.id) : topic.topic === metadataTopic.name);
}

function answer(wanted: WantedPartition, errorCode: number, partition?: Partition, divergingEpoch: PartitionResult['divergingEpoch'] = null): Checked {
  const highWatermark = partition?.highWatermark ?? -1n;
  const lastStableOffset = partition?.lastStableOffset ?? -1n;
  const logStartOffset = partition?.log.logStartOffset ?? -1n;
  return { answer: { ...wanted, errorCode, highWatermark, lastStableOffset, abortedTransactions: [], logStartOffset, records: Buffer.alloc(0), recordCount: 0, divergingEpoch } };
}

/** The checks before reading; a follower's fetch also records its log end at the leader. */
function check(services: BrokerServices, access: ConnectionAccess, wanted: WantedPartition, replicaId: number): Checked {
  if (wanted.topic === '') return answer(wanted, ErrorCode.UNKNOWN_TOPIC_ID);
  if (replicaId < 0 && !access.allows(AclOperation.READ, ResourceType.TOPIC, wanted.topic)) return answer(wanted, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const partition = services.replicas.leaderPartition(wanted.topic, wanted.partition);
  if ('errorCode' in partition) return answer(wanted, partition.errorCode);
  const epochError = partition.checkLeaderEpoch(wanted.currentLeaderEpoch);
  if (epochError !== ErrorCode.NONE) return answer(wanted, epochError, partition);
  if (replicaId < 0) return { wanted, partition };
  if (!partition.hasFollower(replicaId)) return answer(wanted, ErrorCode.NOT_LEADER_OR_FOLLOWER, partition);
  const diverging = partition.divergingEpoch(wanted.lastFetchedEpoch, wanted.fetchOffset);
  if (diverging) return answer(wanted, ErrorCode.NONE, partition, diverging);
  partition.recordFollowerFetch(replicaId, wanted.fetchOffset);
  return { wanted, partition };
}

function bytesOf(results: { records: Buffer }[]): number {
  return results.reduce((n, r) => n + r.records.length, 0);
}

/** Waits while the response memory is full, until `deadline` or the client leaves. */
async function untilMemoryFree(memory: ResponseMemoryService, deadline: number, clientGone: AbortSignal): Promise<void> {
  while (memory.room === 0 && !clientGone.aborted && performance.now() < deadline) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => stop(), deadline - performance.now());
      const cancel = memory.whenFree(() => stop());
      const stop = () => {
        clearTimeout(timer);
        cancel();
        clientGone.removeEventListener('abort', stop);
        resolve();
      };
      clientGone.addEventListener('abort', stop, { once: true });
    });
  }
}

/**
 * Reads every checked partition in order, sharing the response byte budget,
 * into memory from `allocate`, with at least one batch (`oneBatchAtLeast`)
 * for the first partition with data, or converted to `legacyMagic` messages
 * when the fetch version needs them; a replica being added by a
 * reassignment gets nothing while the leader replication throttle asks for
 * a pause.
 */
async function readAll(
  checked: Checked[],
  maxBytes: number,
  oneBatchAtLeast: boolean,
  replicaId: number,
  readCommitted: boolean,
  legacyMagic: LegacyMagic | null,
  throttle: ReplicationThrottle,
  allocate: Allocate,
): Promise<PartitionResult[]> {
  let budget = maxBytes;
  let firstBatchGiven = !oneBatchAtLeast;
  const out: PartitionResult[] = [];
  for (const c of checked) {
    if ('answer' in c) {
      out.push(c.answer);
      continue;
    }
    const { wanted, partition } = c;
    const limit = Math.min(wanted.partitionMaxBytes, Math.max(budget, 0));
    const throttled = replicaId >= 0 && isThrottledReplica(partition.state, replicaId);
    if (throttled && throttle.delayMs() > 0) {
      out.push({ ...wanted, errorCode: ErrorCode.NONE, highWatermark: partition.highWatermark, lastStableOffset: partition.lastStableOffset, abortedTransactions: [], logStartOffset: partition.log.logStartOffset, records: Buffer.alloc(0), recordCount: 0, divergingEpoch: null });
      continue;
    }
    const read =
      replicaId >= 0
        ? counted(await partition.readForFollower(wanted.fetchOffset, limit, !firstBatchGiven, allocate))
        : readCommitted
          ? await committed(partition, wanted.fetchOffset, await partition.readCommitted(wanted.fetchOffset, limit, !firstBatchGiven, allocate))
          : legacyMagic === null
          ? counted(await partition.readForConsumer(wanted.fetchOffset, limit, !firstBatchGiven, allocate))
          : downConverted(await partition.readForConsumer(wanted.fetchOffset, limit, !firstBatchGiven), legacyMagic, wanted.fetchOffset, limit, !firstBatchGiven, allocate);
    if (throttled) throttle.record(read.records.length);
    budget -= read.records.length;
    if (read.records.length > 0) firstBatchGiven = true;
    out.push({ lastStableOffset: partition.lastStableOffset, abortedTransactions: [], ...wanted, ...read, divergingEpoch: null });
  }
  return out;
}

type CountedRead = ConsumerRead & { recordCount: number; abortedTransactions?: AbortedTransaction[] };

/** A read_committed read (below the last stable offset) with the aborted transactions whose records it holds. */
async function committed(partition: Partition, fetchOffset: bigint, stored: ConsumerRead): Promise<CountedRead> {
  const read = counted(stored);
  if (read.records.length === 0) return read;
  const aborted = await partition.abortedTransactions(fetchOffset, nextOffsetAfter(read.records));
  return { ...read, abortedTransactions: aborted.map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset })) };
}

/** The offset after the last of whole stored batches. */
function nextOffsetAfter(batches: Buffer): bigint {
  let last = 0;
  for (const span of recordBatches(batches)) last = span.start;
  return batches.readBigInt64BE(last + headerOffsets.baseOffset) + BigInt(batches.readInt32BE(last + headerOffsets.lastOffsetDelta)) + 1n;
}

function counted(stored: ConsumerRead): CountedRead {
  return { ...stored, recordCount: recordCountOf(stored.records) };
}

/** A consumer's read of stored batches as legacy messages within `maxBytes` (see the header). */
function downConverted(stored: ConsumerRead, magic: LegacyMagic, fetchOffset: bigint, maxBytes: number, minOneMessage: boolean, allocate: Allocate): CountedRead {
  if (stored.errorCode !== ErrorCode.NONE || stored.records.length === 0) return { ...stored, recordCount: 0 };
  const { records, recordCount, unconvertible } = downConvert(stored.records, magic, fetchOffset, maxBytes, minOneMessage);
  if (records.length > 0 || unconvertible === null) {
    const leased = allocate(records.length); // so the response memory counts what the answer holds
    records.copy(leased);
    return { ...stored, records: leased, recordCount };
  }
  const errorCode = unconvertible === 'zstd' ? ErrorCode.UNSUPPORTED_COMPRESSION_TYPE : ErrorCode.CORRUPT_MESSAGE;
  return { ...stored, errorCode, records: Buffer.alloc(0), recordCount: 0 };
}
