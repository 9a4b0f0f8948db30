/**
 * Offsets committed inside transactions (TxnOffsetCommit, KIP-98/447) that
 * their transaction has not ended yet, per partition of __consumer_offsets
 * and producer id: the records of the producer's transactional batches
 * there, in order. A commit marker on that partition hands them over to be
 * applied (`complete(.., true)`), an abort marker drops them. Replay and
 * live writes take one path: the coordinator adds what it appends or reads
 * in a transactional batch, and completes on the markers it reads or its
 * partition's leader writes. Pure: no I/O.
 *
 * A marker is a control batch's one record whose key is `version int16,
 * type int16` (0 abort, 1 commit: Kafka's EndTransactionMarker);
 * `markerOf` reads it (null for other control records).
 */
import type { BatchRecord } from '../../protocol/records/record-batch.ts';

export interface PendingRecord {
  key: Buffer | null;
  value: Buffer | null;
}

/** The pending offsets of one producer in one partition: group -> `topic\0partition` keys (for UNSTABLE_OFFSET_COMMIT), records in order. */
interface Pending {
  records: PendingRecord[];
  groups: Map<string, Set<string>>;
}

const markerKeyBytes = 4;
const markerTypes: ReadonlyMap<number, boolean> = new Map([
  [0, false],
  [1, true],
]);

/** Whether a control batch's record is a commit (true) or abort (false) marker; null for another control record. */
export function markerOf(record: Pick<BatchRecord, 'key'>): boolean | null {
  if (record.key === null || record.key.length !== markerKeyBytes) return null;
  return markerTypes.get(record.key.readInt16BE(2)) ?? null;
}

export class PendingTxnOffsets {
  /** Partition of __consumer_offsets -> producer id -> its pending offsets. */
  private readonly byPartition = new Map<number, Map<bigint, Pending>>();

  /** Records of a transactional batch of `producerId` in `partition`, and the group offsets they name. */
  add(partition: number, producerId: bigint, records: PendingRecord[], offsets: { groupId: string; topic: string; partition: number }[]): void {
    const producers = this.byPartition.get(partition) ?? new Map<bigint, Pending>();
    this.byPartition.set(partition, producers);
    const pending: Pending = producers.get(producerId) ?? { records: [], groups: new Map() };
    producers.set(producerId, pending);
    pending.records.push(...records);
    for (const o of offsets) {
      const refs = pending.groups.get(o.groupId) ?? new Set<string>();
      pending.groups.set(o.groupId, refs);
      refs.add(`${o.topic}\0${o.partition}`);
    }
  }

  /** The transaction of `producerId` ended in `partition`: its records to apply when committed, none when aborted. */
  complete(partition: number, producerId: bigint, commit: boolean): PendingRecord[] {
    const producers = this.byPartition.get(partition);
    const pending = producers?.get(producerId);
    if (pending === undefined) return [];
    producers!.delete(producerId);
    if (producers!.size === 0) this.byPartition.delete(partition);
    return commit ? pending.records : [];
  }

  /** Whether an open transaction in `partition` (the group's partition of __consumer_offsets) holds an offset of the group's `topic`/`topicPartition`. */
  isPending(partition: number, groupId: string, topic: string, topicPartition: number): boolean {
    const ref = `${topic}\0${topicPartition}`;
    for (const pending of this.byPartition.get(partition)?.values() ?? []) if (pending.groups.get(groupId)?.has(ref)) return true;
    return false;
  }

  /** Forgets a partition given up. */
  forget(partition: number): void {
    this.byPartition.delete(partition);
  }
}
