/**
 * A consumer of explicitly assigned partitions (no group): fetches from
 * each partition's leader, decodes the returned batches, skips records
 * before the position (Fetch returns whole batches) and control batches, and
 * yields records in offset order per partition. In read_committed
 * (`isolation`) it reads committed records only: up to the last stable
 * offset, without aborted transactions (aborted-filter.ts). `atEnd()` tells
 * when every partition has been read up to the end seen in the last fetch
 * (the high watermark, or the last stable offset in read_committed), which
 * `--exit-at-end` style callers use; `release` stops reading a partition
 * (one that reached an end time, say).
 */
import { ErrorCode, errorName, isRetriable } from '../protocol/errors.ts';
import { recordBatches } from '../protocol/records/batch-splitter.ts';
import { decodeRecordBatch, type RecordHeader } from '../protocol/records/record-batch.ts';
import { zeroUuid } from '../protocol/well-known.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import type { Cluster } from './cluster.ts';
import { knownTopic } from './known-topic.ts';
import { ClientError } from '../net/connection.ts';
import { AbortedFilter } from './aborted-filter.ts';

const fetchVersionMax = 11;
const listOffsetsVersionMax = 5;

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface Assignment {
  topic: string;
  partition: number;
  offset: bigint;
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

/** Fetch's and ListOffsets' isolation_level field. */
export function isolationLevelCode(isolation: IsolationLevel): number {
  return isolation === 'read_committed' ? 1 : 0;
}

export interface FetchOptions {
  isolation: IsolationLevel;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitionMaxBytes: number;
}

export const defaultFetchOptions: FetchOptions = { isolation: 'read_uncommitted', maxWaitMs: 500, minBytes: 1, maxBytes: 50 * 1024 * 1024, partitionMaxBytes: 1024 * 1024 };

/** Special ListOffsets timestamps. */
export const offsetSpec = { latest: -1n, earliest: -2n } as const;

interface Position {
  topic: string;
  partition: number;
  offset: bigint;
  /** The high watermark, or the last stable offset in read_committed, of the last fetch. */
  end: bigint;
}

export class Consumer {
  private readonly cluster: Cluster;
  private readonly options: FetchOptions;
  private positions: Position[];

  constructor(cluster: Cluster, assignments: Assignment[], options: Partial<FetchOptions> = {}) {
    this.cluster = cluster;
    this.options = { ...defaultFetchOptions, ...options };
    this.positions = assignments.map((a) => ({ ...a, end: -1n }));
  }

  /** The number of partitions still read. */
  get partitionCount(): number {
    return this.positions.length;
  }

  /** Stops reading a partition: its records are fetched no more. */
  release(topic: string, partition: number): void {
    this.positions = this.positions.filter((p) => p.topic !== topic || p.partition !== partition);
  }

  /** True when every partition's position has reached its last known end. */
  atEnd(): boolean {
    return this.positions.every((p) => p.end >= 0n && p.offset >= p.end);
  }

  /** Fetches once from every leader and returns the records received, in offset order per partition. */
  async poll(): Promise<ConsumedRecord[]> {
    const byLeader = new Map<number, Position[]>();
    for (const position of this.positions) {
      const leader = await this.leaderOf(position.topic, position.partition);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), position]);
    }
    const results = await Promise.all([...byLeader].map(([leader, positions]) => this.fetchFrom(leader, positions)));
    return results.flat();
  }

  private async leaderOf(topic: string, partition: number): Promise<number> {
    const known = this.cluster.metadata?.topics.get(topic)?.partitions[partition]?.leader;
    if (known !== undefined && known >= 0) return known;
    const info = knownTopic(await this.cluster.refreshMetadata([topic]), topic);
    if (!info) throw new ClientError(`topic '${topic}' does not exist`);
    const leader = info.partitions[partition]?.leader;
    if (leader === undefined) throw new ClientError(`topic '${topic}' has no partition ${partition}`);
    return leader;
  }

  private async fetchFrom(leader: number, positions: Position[]): Promise<ConsumedRecord[]> {
    const connection = await this.cluster.broker(leader);
    const topics = [...new Set(positions.map((p) => p.topic))];
    const response = await connection.request(ApiKeys.Fetch, fetchVersionMax, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: this.options.maxWaitMs,
      minBytes: this.options.minBytes,
      maxBytes: this.options.maxBytes,
      isolationLevel: isolationLevelCode(this.options.isolation),
      sessionId: 0,
      sessionEpoch: -1,
      topics: topics.map((topic) => ({
        topic,
        topicId: zeroUuid,
        partitions: positions
          .filter((p) => p.topic === topic)
          .map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: this.options.partitionMaxBytes, replicaDirectoryId: zeroUuid })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    });
    const out: ConsumedRecord[] = [];
    for (const topicResponse of response.responses) {
      for (const data of topicResponse.partitions) {
        const position = positions.find((p) => p.topic === topicResponse.topic && p.partition === data.partitionIndex)!;
        if (data.errorCode !== ErrorCode.NONE) {
          if (isRetriable(data.errorCode)) {
            await this.cluster.refreshMetadata([position.topic]);
            continue;
          }
          throw new ClientError(`fetching ${position.topic}/${position.partition} at offset ${position.offset}: ${errorName(data.errorCode)}`);
        }
        const committed = this.options.isolation === 'read_committed';
        position.end = committed ? data.lastStableOffset : data.highWatermark;
        this.decodeInto(out, position, data.records, committed ? new AbortedFilter(data.abortedTransactions) : null);
      }
    }
    return out;
  }

  /** Appends the records of `records` at or past the position to `out` (one by one: a spread of 100k+ records overflows the stack) and moves the position past them. */
  private decodeInto(out: ConsumedRecord[], position: Position, records: Buffer | null, aborted: AbortedFilter | null): void {
    if (!records) return;
    for (const span of recordBatches(records)) {
      if (!span.complete) break;
      const batch = decodeRecordBatch(span.bytes);
      const nextOffset = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
      const dropped = aborted?.drops(batch) ?? batch.control;
      if (!dropped) {
        for (const record of batch.records) {
          const offset = batch.baseOffset + BigInt(record.offsetDelta);
          if (offset < position.offset) continue;
          const timestamp = batch.timestampType === 'LogAppendTime' ? batch.maxTimestamp : batch.baseTimestamp + record.timestampDelta;
          out.push({ topic: position.topic, partition: position.partition, offset, timestamp, key: record.key, value: record.value, headers: record.headers });
        }
      }
      if (nextOffset > position.offset) position.offset = nextOffset;
    }
  }
}

/** Resolves a ListOffsets timestamp (offsetSpec.latest / earliest, or ms since epoch) to an offset per partition. */
export async function listOffsets(cluster: Cluster, topic: string, partitions: number[], timestamp: bigint, isolation: IsolationLevel = 'read_uncommitted'): Promise<Map<number, bigint>> {
  const metadata = knownTopic(cluster.metadata?.topics.has(topic) ? cluster.metadata : await cluster.refreshMetadata([topic]), topic);
  if (!metadata) throw new ClientError(`topic '${topic}' does not exist`);
  const out = new Map<number, bigint>();
  await Promise.all(
    partitions.map(async (partition) => {
      const leader = metadata.partitions[partition]?.leader;
      if (leader === undefined) throw new ClientError(`topic '${topic}' has no partition ${partition}`);
      const connection = await cluster.broker(leader);
      const response = await connection.request(ApiKeys.ListOffsets, listOffsetsVersionMax, {
        replicaId: -1,
        isolationLevel: isolationLevelCode(isolation),
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
        timeoutMs: 30_000,
      });
      const result = response.topics[0].partitions[0];
      if (result.errorCode !== ErrorCode.NONE) throw new ClientError(`offsets of ${topic}/${partition}: ${errorName(result.errorCode)}`);
      out.set(partition, result.offset);
    }),
  );
  return out;
}
