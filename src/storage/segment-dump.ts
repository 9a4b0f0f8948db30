/**
 * Reads a segment's `.log` file (format: entry-format.ts) for inspection,
 * the way kafka-dump-log does: every entry with its offsets, timestamps,
 * producer fields, sizes and whether its checksums hold, optionally with the
 * decoded records; a transaction marker (a control batch) with its type and
 * coordinator epoch. Stops at the first entry that is not whole or not
 * well-formed and says where and why. Read-only; used by `kb log dump`.
 */
import path from 'node:path';
import { attributeBits, compressionCodecOf, readBatchHeader } from '../protocol/records/batch-header.ts';
import { decodeRecordBatch } from '../protocol/records/record-batch.ts';
import { readMarker, type TxnMarker } from '../protocol/records/control-batch.ts';
import { ProtocolError } from '../protocol/primitives.ts';
import { entryProblem } from './entry-format.ts';
import { EntryScanner } from './entry-scanner.ts';
import { parseSegmentLogName } from './files.ts';
import { nodeStorageFs, type StorageFs } from './fs.ts';

const codecNames = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export interface DumpedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: { key: string; value: string | null }[];
}

export interface DumpedEntry {
  position: number;
  baseOffset: number;
  lastOffset: number;
  count: number;
  baseTimestamp: number;
  maxTimestamp: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  leaderEpoch: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  transactional: boolean;
  control: boolean;
  codec: string;
  batchBytes: number;
  entryBytes: number;
  crc: number;
  valid: boolean;
  /** Why the entry failed its checks, when it did. */
  invalidReason?: string;
  /** The transaction marker a valid control batch holds. */
  marker?: { type: 'COMMIT' | 'ABORT'; coordinatorEpoch: number };
  records?: DumpedRecord[];
}

export interface SegmentDump {
  file: string;
  /** The base offset named by the file, or null for another name. */
  baseOffset: number | null;
  sizeBytes: number;
  entries: DumpedEntry[];
  /** Bytes covered by whole, well-formed entries. */
  readableBytes: number;
  /** Where reading stopped early and why, or null when it reached the end. */
  stoppedAt: { position: number; reason: string } | null;
}

export async function dumpSegment(file: string, options: { records: boolean }, fs: StorageFs = nodeStorageFs): Promise<SegmentDump> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const scanner = new EntryScanner(handle, 0, size);
    const entries: DumpedEntry[] = [];
    for (let entry = await scanner.next(); entry; entry = await scanner.next()) {
      const problem = entryProblem(entry.chunk, entry.chunkAt, entry.header);
      entries.push(describeEntry(entry.position, entry.batch, entry.header.entryBytes, problem, options.records));
    }
    return {
      file,
      baseOffset: parseSegmentLogName(path.basename(file)),
      sizeBytes: size,
      entries,
      readableBytes: scanner.position,
      stoppedAt: scanner.problem ? { position: scanner.position, reason: scanner.problem } : null,
    };
  } finally {
    await handle.close();
  }
}

function describeEntry(position: number, batch: Buffer, entryBytes: number, problem: string | null, withRecords: boolean): DumpedEntry {
  const header = readBatchHeader(batch);
  const attributes = header.attributes;
  const logAppendTime = (attributes & attributeBits.timestampTypeLogAppend) !== 0;
  const entry: DumpedEntry = {
    position,
    baseOffset: Number(header.baseOffset),
    lastOffset: Number(header.baseOffset) + header.lastOffsetDelta,
    count: header.recordCount,
    baseTimestamp: Number(header.baseTimestamp),
    maxTimestamp: Number(header.maxTimestamp),
    timestampType: logAppendTime ? 'LogAppendTime' : 'CreateTime',
    leaderEpoch: header.partitionLeaderEpoch,
    producerId: Number(header.producerId),
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    transactional: (attributes & attributeBits.transactional) !== 0,
    control: (attributes & attributeBits.control) !== 0,
    codec: codecNames[compressionCodecOf(attributes)] ?? `unknown(${compressionCodecOf(attributes)})`,
    batchBytes: batch.length,
    entryBytes,
    crc: header.crc,
    valid: problem === null,
    ...(problem === null ? {} : { invalidReason: problem }),
  };
  const marker = entry.control && problem === null ? markerOf(batch) : null;
  if (marker) entry.marker = { type: marker.commit ? 'COMMIT' : 'ABORT', coordinatorEpoch: marker.coordinatorEpoch };
  if (withRecords && problem === null) {
    const decoded = decodeRecordBatch(batch);
    entry.records = decoded.records.map((r) => ({
      offset: entry.baseOffset + r.offsetDelta,
      timestamp: logAppendTime ? entry.maxTimestamp : entry.baseTimestamp + Number(r.timestampDelta),
      key: r.key?.toString('utf8') ?? null,
      value: r.value?.toString('utf8') ?? null,
      headers: r.headers.map((h) => ({ key: h.key, value: h.value?.toString('utf8') ?? null })),
    }));
  }
  return entry;
}

/** The marker of a control batch; null for another control type or one that does not decode (the dump shows the batch as it is). */
function markerOf(batch: Buffer): TxnMarker | null {
  try {
    return readMarker(batch);
  } catch (err) {
    if (err instanceof ProtocolError) return null;
    throw err;
  }
}
