/**
 * ListOffsets by time over a log's segments: the first record at or after a
 * timestamp, and the record with the largest timestamp. Segments are skipped
 * by their largest timestamp, batches by the time index and by their max
 * timestamp; only batches whose max timestamp reaches the target have their
 * records walked (record-walk.ts: decompressed in pieces, no record
 * objects), and the walk stops at the first record that answers. A
 * LogAppendTime batch's records all carry its max timestamp.
 * Reads only; no on-disk format here.
 */
import { attributeBits, readBatchHeader } from '../protocol/records/batch-header.ts';
import { walkRecords } from '../protocol/records/record-walk.ts';
import { decompressedBytesMax } from '../limits.ts';
import type { EntryHeader } from './entry-format.ts';
import type { Segment } from './segment.ts';

export interface TimestampAndOffset {
  offset: bigint;
  timestamp: bigint;
}

/** The first record with offset >= minOffset and timestamp >= target (and, with `exact`, == target). */
async function recordAt(batch: Buffer, target: bigint, minOffset: bigint, exact: boolean): Promise<TimestampAndOffset | null> {
  const header = readBatchHeader(batch);
  const logAppendTime = (header.attributes & attributeBits.timestampTypeLogAppend) !== 0;
  let found: TimestampAndOffset | null = null;
  const visit = (offsetDelta: number, timestampDelta: bigint): boolean => {
    const offset = header.baseOffset + BigInt(offsetDelta);
    const timestamp = logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta;
    if (offset >= minOffset && (exact ? timestamp === target : timestamp >= target)) found = { offset, timestamp };
    return found !== null;
  };
  await walkRecords(batch, { maxDecompressedBytes: decompressedBytesMax, visit });
  return found;
}

/** Scans `segment` from `fromOffset` for the first batch whose max timestamp fits and that holds a fitting record. */
async function searchSegment(segment: Segment, fromOffset: number, target: number, minOffset: number, exact: boolean): Promise<TimestampAndOffset | null> {
  const scanner = await segment.scannerFrom(fromOffset);
  const decide = (header: EntryHeader) =>
    header.lastOffset < fromOffset || header.maxTimestamp < target || (exact && header.maxTimestamp !== target) ? 'skip' : 'take';
  for (let entry = await scanner.next(decide); entry; entry = await scanner.next(decide)) {
    const found = await recordAt(entry.batch, BigInt(target), BigInt(minOffset), exact);
    if (found) return found;
  }
  if (scanner.problem) throw segment.corruptError(scanner);
  return null;
}

async function withSegment<T>(segment: Segment, use: () => Promise<T>): Promise<T> {
  segment.acquire();
  try {
    await segment.load();
    return await use();
  } finally {
    segment.release();
  }
}

export async function offsetForTimestamp(segments: readonly Segment[], target: number, logStartOffset: number): Promise<TimestampAndOffset | null> {
  for (const segment of segments) {
    const found = await withSegment(segment, async () => {
      if (segment.maxTimestamp < target) return null;
      const from = Math.max(segment.timestampScanStart(target), logStartOffset);
      return searchSegment(segment, from, target, logStartOffset, false);
    });
    if (found) return found;
  }
  return null;
}

export async function maxTimestampOffset(segments: readonly Segment[], logStartOffset: number): Promise<TimestampAndOffset | null> {
  let best: Segment | null = null;
  for (const segment of segments) {
    await withSegment(segment, async () => {
      if (segment.maxTimestamp > (best?.maxTimestamp ?? -1)) best = segment;
    });
  }
  const winner = best as Segment | null;
  if (!winner) return null;
  return withSegment(winner, () =>
    searchSegment(winner, Math.max(winner.offsetOfMaxTimestamp, logStartOffset), winner.maxTimestamp, logStartOffset, true),
  );
}
