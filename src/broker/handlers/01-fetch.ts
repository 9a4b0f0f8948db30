/**
 * Fetch (key 1), v0-12 advertised, for consumers (replica id -1; follower
 * fetching arrives with replication). v13-17 are served to kb's own nodes
 * only: advertising them would make clients that know Metadata v9 at most
 * use topic ids (CLIENTS.md, topic-id trap). A fetch of the metadata topic
 * (`__cluster_metadata`, by id from v13) is the metadata quorum's and goes
 * to it; other v13+ fetches name topics by id (UNKNOWN_TOPIC_ID for an id
 * no topic has). Sessionless: every request is a full fetch and
 * the response carries session id 0, which keeps clients that ask for a
 * session (platformatic sends id 0, epoch 0) sessionless.
 *
 * Per partition: whole stored batches from the one holding the fetch offset,
 * up to the high watermark, at least one whole batch for the first partition
 * with data even past max_bytes; OFFSET_OUT_OF_RANGE outside
 * [log start, high watermark]. When fewer than min_bytes are available the
 * request parks until that many bytes are there, or max_wait_ms passes. last_stable_offset = high watermark (no transactions); aborted
 * transactions empty; preferred read replica -1.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { Broker } from '../broker.ts';
import type { FetchRequest } from '../../protocol/generated/fetch-request.ts';
import type { FetchResponse } from '../../protocol/generated/fetch-response.ts';
import { defineHandler } from './handler.ts';
import { metadataTopic } from '../../controller/raft/wire.ts';

interface WantedPartition {
  /** '' for a topic id no topic has. */
  topic: string;
  topicId: Buffer;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
}

const noTopicId = Buffer.alloc(16);

export default defineHandler<FetchRequest, FetchResponse>({
  apiKey: 1,
  minVersion: 0,
  maxVersion: 17,
  advertisedMaxVersion: 12,
  async handle(request, ctx) {
    const broker = ctx.broker;
    if (isMetadataTopicFetch(request, ctx.apiVersion)) return (await broker.quorum.handle(1, ctx.apiVersion, request)) as FetchResponse;
    const byId = ctx.apiVersion >= 13;
    const nameOf = (topicId: Buffer) => broker.image.topicsById.get(topicId.toString('hex'))?.name ?? null;
    const wanted: WantedPartition[] = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: byId ? nameOf(t.topicId) ?? '' : t.topic,
        topicId: t.topicId,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes: p.partitionMaxBytes,
      })),
    );
    const maxBytes = ctx.apiVersion >= 3 ? request.maxBytes : 0x7fffffff;
    const deadline = Date.now() + request.maxWaitMs;
    let results = await readAll(broker, wanted, maxBytes);
    while (!results.some((r) => r.errorCode !== ErrorCode.NONE) && bytesOf(results) < request.minBytes && Date.now() < deadline) {
      await broker.replicas.waitForData(wanted, deadline - Date.now());
      results = await readAll(broker, wanted, maxBytes);
    }
    const byTopic = new Map<string, typeof results>();
    for (const r of results) {
      const key = byId ? r.topicId.toString('hex') : r.topic;
      byTopic.set(key, [...(byTopic.get(key) ?? []), r]);
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      sessionId: 0,
      responses: [...byTopic.values()].map((partitions) => ({
        topic: partitions[0].topic,
        topicId: byId ? partitions[0].topicId : noTopicId,
        partitions: partitions.map((r) => ({
          partitionIndex: r.partition,
          errorCode: r.errorCode,
          highWatermark: r.highWatermark,
          lastStableOffset: r.highWatermark,
          logStartOffset: r.logStartOffset,
          divergingEpoch: { epoch: -1, endOffset: -1n },
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
          snapshotId: { endOffset: -1n, epoch: -1 },
          abortedTransactions: ctx.apiVersion >= 4 ? [] : null,
          preferredReadReplica: -1,
          records: r.records,
        })),
      })),
      nodeEndpoints: [],
    };
  },
});

function isMetadataTopicFetch(request: FetchRequest, apiVersion: number): boolean {
  const [topic] = request.topics;
  return request.topics.length === 1 && (apiVersion >= 13 ? topic.topicId.equals(metadataTopic.id) : topic.topic === metadataTopic.name);
}

function bytesOf(results: { records: Buffer | null }[]): number {
  return results.reduce((n, r) => n + (r.records?.length ?? 0), 0);
}

/** Reads every wanted partition in order, sharing the response byte budget. */
async function readAll(broker: Broker, wanted: WantedPartition[], maxBytes: number) {
  let budget = maxBytes;
  let firstBatchGiven = false;
  const out = [];
  for (const w of wanted) {
    if (w.topic === '') {
      out.push({ ...w, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, highWatermark: -1n, logStartOffset: -1n, records: null });
      continue;
    }
    const partition = broker.replicas.leaderPartition(w.topic, w.partition);
    if ('errorCode' in partition) {
      out.push({ ...w, errorCode: partition.errorCode, highWatermark: -1n, logStartOffset: -1n, records: null });
      continue;
    }
    const limit = Math.min(w.partitionMaxBytes, Math.max(budget, 0));
    const read = await partition.readForConsumer(w.fetchOffset, limit, !firstBatchGiven);
    if (read.records) {
      budget -= read.records.length;
      firstBatchGiven = true;
    }
    out.push({ ...w, ...read });
  }
  return out;
}
