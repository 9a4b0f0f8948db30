/**
 * A batching producer on a Cluster. `send` queues a record for its
 * partition (explicit, by key with Kafka's murmur2 partitioner, or
 * round-robin) and resolves with its partition and offset once the broker
 * acknowledges it (offset -1 with acks=0), or, given a callback, calls it
 * instead, which spares a promise per record. A partition's records are
 * sent as one v2 record batch when `batchBytes` is reached or `lingerMs`
 * passes, at most `maxInFlight` batches per partition in flight. With the
 * default of one a partition's order is always kept; above one, batches
 * follow each other on the connection (the broker appends them in order)
 * but a retried batch can land after a later one, as with Kafka's producer
 * without idempotence. Retriable errors (leader moved, not available)
 * refresh metadata and retry until `deliveryTimeoutMs`; other errors fail
 * the records of that batch.
 */
import { CompressionCodec } from '../protocol/compression.ts';
import { ErrorCode, errorName, isRetriable } from '../protocol/errors.ts';
import { encodeRecordBatch, type RecordHeader, type RecordInput } from '../protocol/records/record-batch.ts';
import type { Cluster, ClusterMetadata } from './cluster.ts';
import { knownTopic, noSuchPartition } from './known-topic.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import { ClientError } from '../net/connection.ts';
import { partitionForKey, RoundRobin } from './partitioner.ts';

const produceVersionMax = 8;
const retryBackoffMs = 100;

export interface ProducerRecord {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  partition?: number;
  timestamp?: bigint;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: bigint;
}

/** Called once per record: with its metadata once acknowledged, or with the error that lost it. Must not throw. */
export type Acknowledged = (err: Error | null, metadata?: RecordMetadata) => void;

export interface ProducerOptions {
  acks: -1 | 0 | 1;
  compression: number;
  batchBytes: number;
  lingerMs: number;
  /** Batches per partition awaiting acknowledgement at once. */
  maxInFlight: number;
  deliveryTimeoutMs: number;
}

export const defaultProducerOptions: ProducerOptions = {
  acks: -1,
  compression: CompressionCodec.none,
  batchBytes: 1024 * 1024,
  lingerMs: 5,
  maxInFlight: 1,
  deliveryTimeoutMs: 120_000,
};

/** A queued record: itself the RecordInput its batch encodes (no second object per record). */
interface Pending extends RecordInput {
  /** approximateBytes of the record, worked out once. */
  bytes: number;
  /** Milliseconds since the epoch (a number: BigInts are made per batch, see sendBatch). */
  timestamp: number;
  acknowledged: Acknowledged;
}

interface PartitionQueue {
  topic: string;
  partition: number;
  pending: Pending[];
  bytes: number;
  timer: NodeJS.Timeout | null;
  sending: Set<Promise<void>>;
}

/** Rough encoded size of a record, for batch sizing. */
function approximateBytes(record: ProducerRecord): number {
  let n = 24 + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  if (record.headers) for (const h of record.headers) n += 8 + h.key.length + (h.value?.length ?? 0);
  return n;
}

export class Producer {
  private readonly cluster: Cluster;
  private readonly options: ProducerOptions;
  /** Per topic, the queue of each partition (by index). */
  private readonly queues = new Map<string, PartitionQueue[]>();
  private readonly roundRobin = new RoundRobin();

  constructor(cluster: Cluster, options: Partial<ProducerOptions> = {}) {
    this.cluster = cluster;
    this.options = { ...defaultProducerOptions, ...options };
  }

  /**
   * Queues a record. Without a callback the promise settles with the
   * outcome; with one (as Kafka's send(record, callback)) no promise is
   * made, which is cheaper for callers that send many records at once.
   * The callback is never called before send returns.
   */
  send(topic: string, record: ProducerRecord): Promise<RecordMetadata>;
  send(topic: string, record: ProducerRecord, acknowledged: Acknowledged): void;
  send(topic: string, record: ProducerRecord, acknowledged?: Acknowledged): Promise<RecordMetadata> | undefined {
    if (!acknowledged) {
      return new Promise((resolve, reject) => this.send(topic, record, (err, metadata) => (err ? reject(err) : resolve(metadata!))));
    }
    const cached = this.cluster.metadata;
    if (cached?.topics.has(topic)) this.enqueue(topic, cached, record, acknowledged);
    else this.cluster.refreshMetadata([topic]).then((metadata) => this.enqueue(topic, metadata, record, acknowledged), acknowledged);
  }

  /** Queues the record for its partition (no await when the topic's metadata is cached: this runs once per record). */
  private enqueue(topic: string, metadata: ClusterMetadata, record: ProducerRecord, acknowledged: Acknowledged): void {
    let partition: number;
    try {
      partition = this.choosePartition(topic, metadata, record);
    } catch (err) {
      queueMicrotask(() => acknowledged(err as Error));
      return;
    }
    const q = this.queueOf(topic, partition);
    const bytes = approximateBytes(record);
    const timestamp = record.timestamp === undefined ? Date.now() : Number(record.timestamp);
    q.pending.push({ key: record.key, value: record.value, headers: record.headers, timestampDelta: 0n, bytes, timestamp, acknowledged });
    q.bytes += bytes;
    if (q.bytes >= this.options.batchBytes) this.drain(q);
    else q.timer ??= setTimeout(() => this.drain(q), this.options.lingerMs);
  }

  private queueOf(topic: string, partition: number): PartitionQueue {
    let queues = this.queues.get(topic);
    if (!queues) this.queues.set(topic, (queues = []));
    return (queues[partition] ??= { topic, partition, pending: [], bytes: 0, timer: null, sending: new Set() });
  }

  /** The record's own partition (checked to exist), else by key, else round-robin; throws for a topic without partitions. */
  private choosePartition(topic: string, metadata: ClusterMetadata, record: ProducerRecord): number {
    const info = knownTopic(metadata, topic);
    if (!info) throw new ClientError(`topic '${topic}' does not exist`);
    const count = info.partitions.length;
    if (record.partition !== undefined) {
      if (Number.isInteger(record.partition) && record.partition >= 0 && record.partition < count) return record.partition;
      throw new ClientError(noSuchPartition(topic, record.partition, count));
    }
    const key = record.key ?? null;
    return key === null ? this.roundRobin.partition(count) : partitionForKey(key, count);
  }

  /** Sends everything queued and waits for every acknowledgement. */
  async flush(): Promise<void> {
    for (;;) {
      const queues = [...this.queues.values()].flat();
      for (const queue of queues) this.drain(queue);
      const sending = queues.flatMap((q) => [...q.sending]);
      if (sending.length === 0) return;
      await Promise.all(sending);
    }
  }

  /**
   * Sends the pending records as batches while fewer than maxInFlight are
   * out. Once one is acknowledged, what waits is sent at once if it fills a
   * batch or its linger time has passed (the timer fired or was never set).
   */
  private drain(queue: PartitionQueue): void {
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = null;
    while (queue.sending.size < this.options.maxInFlight && queue.pending.length > 0) {
      const sent: Promise<void> = this.sendBatch(queue, this.takeBatch(queue)).finally(() => {
        queue.sending.delete(sent);
        if (queue.pending.length > 0 && (queue.timer === null || queue.bytes >= this.options.batchBytes)) this.drain(queue);
      });
      queue.sending.add(sent);
    }
  }

  /** Takes the oldest pending records up to batchBytes (at least one), so a batch stays under the broker's max.message.bytes. */
  private takeBatch(queue: PartitionQueue): Pending[] {
    let count = 0;
    let bytes = 0;
    while (count < queue.pending.length) {
      const size = queue.pending[count].bytes;
      if (count > 0 && bytes + size > this.options.batchBytes) break;
      bytes += size;
      count++;
    }
    queue.bytes -= bytes;
    return queue.pending.splice(0, count);
  }

  private async sendBatch(queue: PartitionQueue, batch: Pending[]): Promise<void> {
    const baseTimestamp = batch.reduce((min, p) => Math.min(min, p.timestamp), batch[0].timestamp);
    // Records queued in the same millisecond share one timestampDelta BigInt.
    let delta = 0;
    let deltaBig = 0n;
    for (const p of batch) {
      if (p.timestamp - baseTimestamp !== delta) deltaBig = BigInt((delta = p.timestamp - baseTimestamp));
      p.timestampDelta = deltaBig;
    }
    const records = encodeRecordBatch({ baseTimestamp: BigInt(baseTimestamp), records: batch }, this.options.compression);
    const deadline = Date.now() + this.options.deliveryTimeoutMs;
    let offset: bigint;
    try {
      offset = await this.produceWithRetries(queue, records, deadline);
    } catch (err) {
      for (const p of batch) p.acknowledged(err as Error);
      return;
    }
    const { topic, partition } = queue;
    if (offset < 0n) for (const p of batch) p.acknowledged(null, { topic, partition, offset: -1n });
    else for (const p of batch) p.acknowledged(null, { topic, partition, offset: offset++ });
  }

  private async produceWithRetries(queue: PartitionQueue, records: Buffer, deadline: number): Promise<bigint> {
    const where = `${queue.topic}/${queue.partition}`;
    for (;;) {
      let errorCode: number;
      let errorMessage: string | null = null;
      try {
        const info = this.cluster.metadata?.topics.get(queue.topic)?.partitions[queue.partition];
        const leader = info?.leader ?? (await this.cluster.refreshMetadata([queue.topic])).topics.get(queue.topic)?.partitions[queue.partition]?.leader;
        if (leader === undefined || leader < 0) throw new ClientError(`partition ${where} has no leader`);
        const connection = await this.cluster.broker(leader);
        const body = {
          transactionalId: null,
          acks: this.options.acks,
          timeoutMs: 30_000,
          topicData: [{ name: queue.topic, partitionData: [{ index: queue.partition, records }] }],
        };
        if (this.options.acks === 0) {
          await connection.requestNoResponse(ApiKeys.Produce, produceVersionMax, body);
          return -1n;
        }
        const response = await connection.request(ApiKeys.Produce, produceVersionMax, body);
        const result = response.responses[0].partitionResponses[0];
        if (result.errorCode === ErrorCode.NONE) return result.baseOffset;
        errorCode = result.errorCode;
        errorMessage = result.errorMessage;
      } catch (err) {
        if (!(err instanceof ClientError) || Date.now() > deadline) throw err;
        errorCode = ErrorCode.NETWORK_EXCEPTION;
        errorMessage = err.message;
      }
      if (!isRetriable(errorCode) || Date.now() > deadline) {
        throw new ClientError(`producing to ${where} failed: ${errorMessage ?? errorName(errorCode)} (${errorName(errorCode)})`);
      }
      await new Promise((resolve) => setTimeout(resolve, retryBackoffMs));
      await this.cluster.refreshMetadata([queue.topic]).catch(() => undefined);
    }
  }
}
