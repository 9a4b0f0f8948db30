/**
 * The console's message browser: reads records of one topic's partitions
 * (all, or one) from where the request says, newest N (the last records
 * of each partition), from an offset or from a timestamp (each partition's
 * first record at or after it), keeps those whose key, value, a header's
 * key or a header's value contains `filter` (bytes, so binary matches
 * too), and returns them as `kb consume --json` objects, ordered by
 * partition and offset. The record limit is capped at `browseLimitMax`; what a request can make the
 * server read is bounded: at most `scanRecordsMax` records scanned per
 * partition when filtering, `responseBytesMax` of keys, values and headers
 * returned, and `browseDeadlineMs` in all (then `truncated` says the read
 * stopped early). Reads stop at each partition's end as it was when the
 * request came.
 */
import type { Cluster } from '../../client/cluster.ts';
import { Consumer, listOffsets, offsetSpec } from '../../client/consumer.ts';
import type { ConsumedRecord } from '../../client/consumer.ts';
import { knownTopic, noSuchPartition } from '../../client/known-topic.ts';
import { recordJson, type JsonRecord } from '../../cli/json-records.ts';
import { UsageError, UserError } from '../../cli/kb-command.ts';

export const browseLimitMax = 500;
export const scanRecordsMax = 10_000;
export const responseBytesMax = 16 * 1024 * 1024;
export const browseDeadlineMs = 10_000;

export interface BrowseRequest {
  topic: string;
  /** null: every partition. */
  partition: number | null;
  from: { kind: 'newest' } | { kind: 'offset'; offset: bigint } | { kind: 'timestamp'; timestamp: bigint };
  limit: number;
  filter: string;
}

export interface BrowseResult {
  records: JsonRecord[];
  /** True when a bound (bytes, scan, deadline) stopped the read before the limit. */
  truncated: boolean;
}

function matches(record: ConsumedRecord, needle: Buffer): boolean {
  if (needle.length === 0) return true;
  const has = (bytes: Buffer | null) => bytes?.includes(needle) === true;
  return has(record.key) || has(record.value) || record.headers.some((h) => Buffer.from(h.key).includes(needle) || has(h.value));
}

function recordBytes(record: ConsumedRecord): number {
  return (record.key?.length ?? 0) + (record.value?.length ?? 0) + record.headers.reduce((sum, h) => sum + h.key.length + (h.value?.length ?? 0), 0);
}

export async function browseMessages(cluster: Cluster, request: BrowseRequest, now = Date.now): Promise<BrowseResult> {
  if (!Number.isSafeInteger(request.limit) || request.limit < 1) throw new UsageError('limit must be a whole number of at least 1');
  const limit = Math.min(request.limit, browseLimitMax);
  const metadata = knownTopic(await cluster.refreshMetadata([request.topic]), request.topic);
  if (!metadata) throw new UserError(`topic '${request.topic}' does not exist`);
  const count = metadata.partitions.length;
  if (request.partition !== null && (request.partition < 0 || request.partition >= count)) throw new UserError(noSuchPartition(request.topic, request.partition, count));
  const partitions = request.partition === null ? metadata.partitions.map((p) => p.partition) : [request.partition];
  const [starts, ends] = await Promise.all([listOffsets(cluster, request.topic, partitions, offsetSpec.earliest), listOffsets(cluster, request.topic, partitions, offsetSpec.latest)]);
  const from =
    request.from.kind === 'timestamp' ? await listOffsets(cluster, request.topic, partitions, request.from.timestamp) : null;
  const needle = Buffer.from(request.filter, 'utf8');
  const deadline = now() + browseDeadlineMs;
  const records: JsonRecord[] = [];
  let bytes = 0;
  let truncated = false;
  for (const partition of partitions) {
    const start = starts.get(partition)!;
    const end = ends.get(partition)!;
    // Newest: the last `limit` records, or (filtering) the last records scanned for matches.
    let position: bigint;
    if (request.from.kind === 'newest') position = end - BigInt(needle.length > 0 ? scanRecordsMax : limit);
    else if (request.from.kind === 'offset') position = request.from.offset;
    else position = from!.get(partition)! < 0n ? end : from!.get(partition)!; // -1: no record at or after the time
    position = position < start ? start : position > end ? end : position;
    const scanEnd = request.from.kind === 'newest' ? end : position + BigInt(scanRecordsMax) < end ? position + BigInt(scanRecordsMax) : end;
    const found: ConsumedRecord[] = [];
    const consumer = new Consumer(cluster, [{ topic: request.topic, partition, offset: position }], { maxWaitMs: 100, maxBytes: 4 * 1024 * 1024, partitionMaxBytes: 1024 * 1024 });
    let next = position;
    while (next < scanEnd && (request.from.kind === 'newest' || found.length < limit)) {
      if (now() > deadline) {
        truncated = true;
        break;
      }
      const batch = await consumer.poll();
      for (const record of batch) {
        if (record.offset >= scanEnd) break;
        next = record.offset + 1n;
        if (matches(record, needle)) found.push(record);
      }
      if (batch.length === 0 && consumer.atEnd()) break;
    }
    // Fewer than asked while older (newest) or later records were left unscanned.
    if (found.length < limit && (request.from.kind === 'newest' ? position > start : next < end)) truncated = true;
    const kept = request.from.kind === 'newest' ? found.slice(-limit) : found.slice(0, limit);
    for (const record of kept) {
      bytes += recordBytes(record);
      if (bytes > responseBytesMax) {
        truncated = true;
        break;
      }
      records.push(recordJson(record));
    }
    if (bytes > responseBytesMax) break;
  }
  return { records, truncated };
}
