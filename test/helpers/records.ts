/**
 * What interop tests compare: records as plain values (UTF-8 strings or null
 * for keys, values and header values; headers in order, duplicates allowed),
 * with the partition and offset they live at. Every client's output is
 * mapped to this shape, then compared whole against what was produced.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { partitionForKey } from '../../src/client/partitioner.ts';

export type Header = [key: string, value: string | null];

export interface StoredRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Header[];
}

/** A topic name no other test (or earlier run on the same data dir) uses. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** The partition Kafka's default (murmur2) partitioner picks for a UTF-8 key. */
export function murmur2Partition(key: string, partitionCount: number): number {
  return partitionForKey(Buffer.from(key, 'utf8'), partitionCount);
}

function byPosition(a: StoredRecord, b: StoredRecord): number {
  return a.partition - b.partition || a.offset - b.offset;
}

function plain(r: StoredRecord): StoredRecord {
  return { partition: r.partition, offset: r.offset, key: r.key, value: r.value, headers: r.headers.map(([k, v]) => [k, v]) };
}

/**
 * Asserts that `actual` holds exactly the `expected` records (order within
 * a partition by offset; partitions may interleave in `actual`), reporting
 * the first difference.
 */
export function assertSameRecords(actual: readonly StoredRecord[], expected: readonly StoredRecord[], what: string): void {
  const got = actual.map(plain).sort(byPosition);
  const want = expected.map(plain).sort(byPosition);
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    assert.deepEqual(got[i], want[i], `${what}: record #${i} (partition ${want[i].partition} offset ${want[i].offset}) differs`);
  }
  assert.equal(got.length, want.length, `${what}: got ${got.length} records, expected ${want.length}`);
}

/**
 * Assigns offsets to records produced in order, per partition, starting at
 * `start[partition]` (0 for a fresh topic): what a broker must give them
 * when they were produced one after the other with acks and no retries lost.
 */
export function withOffsets(
  records: readonly Omit<StoredRecord, 'offset'>[],
  start: Record<number, number> = {},
): StoredRecord[] {
  const next = new Map<number, number>(Object.entries(start).map(([p, o]) => [Number(p), o]));
  return records.map((r) => {
    const offset = next.get(r.partition) ?? 0;
    next.set(r.partition, offset + 1);
    return { ...r, offset };
  });
}

/** Rejects with a message naming `what` when `promise` does not settle in time. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
