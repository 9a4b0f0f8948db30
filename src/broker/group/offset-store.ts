/**
 * The in-memory view of `__consumer_offsets`: committed offsets per group,
 * topic and partition, plus a summary of each group's last persisted
 * state. Pure: no I/O. The coordinator appends the records built by
 * offset-records.ts (Kafka's schemas) and passes every record it reads back
 * on load, or has just appended, to `apply`, so replay and live writes take
 * one path.
 *
 * A group lives in partition `partitionForGroup(groupId, count)`, Kafka's
 * choice: abs(Java String.hashCode(groupId)) % count.
 *
 * Records in kb's earlier msgpack format (legacy-offset-records.ts) are
 * applied as the Kafka-format record of the same fact, and their keys are
 * remembered until `legacyUpgrade` has rewritten them: it returns, per fact,
 * the fact's Kafka-format record (when its current value came from a legacy
 * record) followed by a tombstone of the legacy key, so compaction drops
 * the legacy records. A legacy tombstone removes a fact only while the
 * fact's value is the legacy one: the upgrade's tombstones, replayed after
 * the rewritten records, change nothing.
 *
 * Records with a key of another shape, or an unreadable value, are not ours
 * and are skipped with a count (`ignoredRecords`).
 */
import type { RecordInput } from '../../protocol/records/record-batch.ts';
import { fromLegacy, isLegacyKey } from './legacy-offset-records.ts';
import {
  decodeGroupValue,
  decodeOffsetValue,
  decodeRecordKey,
  type CommittedOffset,
  type KafkaRecord,
  type RecordKey,
  type StoredGroup,
} from './offset-records.ts';

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** A fact stated by a legacy record that is not rewritten yet. */
interface LegacyFact {
  groupId: string;
  legacyKey: Buffer;
  /** The Kafka-format record of the legacy value while it is the fact's current value, else null. */
  current: KafkaRecord | null;
}

/** When a committed offset of an Empty group expires: its explicit expire timestamp, else retentionMs after the group emptied (or, never having had members, after the commit). */
function expiresAt(committed: CommittedOffset, retentionMs: number, emptySinceMs: number | undefined): number {
  return committed.expireTimestampMs ?? (emptySinceMs ?? committed.commitTimestampMs) + retentionMs;
}

/** Kafka's placement: abs(Java String.hashCode(groupId)) modulo the partition count. */
export function partitionForGroup(groupId: string, partitionCount: number): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(31, hash) + groupId.charCodeAt(i)) | 0;
  const abs = hash === -0x80000000 ? 0 : Math.abs(hash);
  return abs % partitionCount;
}

export class OffsetStore {
  /** groupId -> topic -> partition -> committed offset. */
  private readonly offsets = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  private readonly groups = new Map<string, StoredGroup>();
  /** Legacy facts not rewritten yet, by the hex of their Kafka-format key. */
  private readonly legacy = new Map<string, LegacyFact>();
  ignoredRecords = 0;

  /** Applies one record of `__consumer_offsets` (see the header and offset-records.ts for its format). */
  apply(key: Buffer | null, value: Buffer | null): void {
    if (key === null) {
      this.ignoredRecords += 1;
    } else if (isLegacyKey(key)) {
      this.applyLegacy(key, value);
    } else if (this.applyKafka(key, value) !== null && this.legacy.size > 0) {
      const fact = this.legacy.get(key.toString('hex'));
      if (fact !== undefined) fact.current = null;
    }
  }

  private applyLegacy(legacyKey: Buffer, value: Buffer | null): void {
    const record = fromLegacy(legacyKey, value);
    if (record === null) {
      this.ignoredRecords += 1;
      return;
    }
    const id = record.key.toString('hex');
    if (record.value !== null) {
      const decoded = this.applyKafka(record.key, record.value);
      if (decoded !== null) this.legacy.set(id, { groupId: decoded.groupId, legacyKey, current: record });
      return;
    }
    // A tombstone of a legacy key removes the fact only while the legacy value is its value.
    const known = this.legacy.get(id);
    if (known === undefined) return;
    if (known.current !== null) this.applyKafka(record.key, null);
    this.legacy.delete(id);
  }

  /** Applies a Kafka-format record; the fact it names, or null when it is not ours (counted). */
  private applyKafka(key: Buffer, value: Buffer | null): RecordKey | null {
    try {
      const decoded = decodeRecordKey(key);
      if (decoded === null) {
        this.ignoredRecords += 1;
        return null;
      }
      if (decoded.kind === 'group') {
        if (value === null) this.groups.delete(decoded.groupId);
        else this.groups.set(decoded.groupId, decodeGroupValue(value));
      } else if (value === null) {
        this.remove(decoded.groupId, decoded.topic, decoded.partition);
      } else {
        this.set(decoded.groupId, decoded.topic, decoded.partition, decodeOffsetValue(value));
      }
      return decoded;
    } catch {
      this.ignoredRecords += 1;
      return null;
    }
  }

  /**
   * The records that rewrite the legacy records of the chosen groups in
   * Kafka's format (see the header), by group, then fact by fact: each
   * fact's records must share a batch.
   */
  legacyUpgrade(chosen: (groupId: string) => boolean): Map<string, RecordInput[][]> {
    const byGroup = new Map<string, RecordInput[][]>();
    for (const fact of this.legacy.values()) {
      if (!chosen(fact.groupId)) continue;
      let facts = byGroup.get(fact.groupId);
      if (facts === undefined) byGroup.set(fact.groupId, (facts = []));
      facts.push([...(fact.current === null ? [] : [fact.current]), { key: fact.legacyKey, value: null }]);
    }
    return byGroup;
  }

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(groupId)?.get(topic)?.get(partition);
  }

  /** Every committed offset of the group, by topic then partition. */
  offsetsOf(groupId: string): ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> {
    return this.offsets.get(groupId) ?? new Map();
  }

  hasOffsets(groupId: string): boolean {
    return this.offsets.has(groupId);
  }

  /** The group's last persisted state, if any. */
  storedGroup(groupId: string): StoredGroup | undefined {
    return this.groups.get(groupId);
  }

  /** Forgets what is known of these groups (another node coordinates them now). */
  forget(groupIds: string[]): void {
    const forgotten = new Set(groupIds);
    for (const groupId of groupIds) {
      this.offsets.delete(groupId);
      this.groups.delete(groupId);
    }
    for (const [id, fact] of this.legacy) if (forgotten.has(fact.groupId)) this.legacy.delete(id);
  }

  /** Groups with offsets or a persisted state. */
  groupIds(): Set<string> {
    return new Set([...this.offsets.keys(), ...this.groups.keys()]);
  }

  /** Every (topic, partition) the group has an offset for. */
  partitionsOf(groupId: string): TopicPartitionRef[] {
    const out: TopicPartitionRef[] = [];
    for (const [topic, partitions] of this.offsetsOf(groupId)) {
      for (const partition of partitions.keys()) out.push({ topic, partition });
    }
    return out;
  }

  /**
   * Offsets of an Empty group that are due to expire at `nowMs` (Kafka's
   * rule): an explicit expire timestamp wins; otherwise `retentionMs` after
   * the group became empty, or after the commit for a group that never had
   * members (`emptySinceMs` undefined).
   */
  expiredOffsets(groupId: string, nowMs: number, retentionMs: number, emptySinceMs: number | undefined): TopicPartitionRef[] {
    const out: TopicPartitionRef[] = [];
    for (const [topic, partitions] of this.offsetsOf(groupId)) {
      for (const [partition, committed] of partitions) {
        if (nowMs >= expiresAt(committed, retentionMs, emptySinceMs)) out.push({ topic, partition });
      }
    }
    return out;
  }

  /** When the last offset of an Empty group expires by the rule of expiredOffsets (-Infinity: it has none). */
  allExpireAt(groupId: string, retentionMs: number, emptySinceMs: number | undefined): number {
    let last = -Infinity;
    for (const partitions of this.offsetsOf(groupId).values()) {
      for (const committed of partitions.values()) last = Math.max(last, expiresAt(committed, retentionMs, emptySinceMs));
    }
    return last;
  }

  private set(groupId: string, topic: string, partition: number, committed: CommittedOffset): void {
    let topics = this.offsets.get(groupId);
    if (topics === undefined) this.offsets.set(groupId, (topics = new Map()));
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, committed);
  }

  private remove(groupId: string, topic: string, partition: number): void {
    const topics = this.offsets.get(groupId);
    const partitions = topics?.get(topic);
    if (partitions === undefined) return;
    partitions.delete(partition);
    if (partitions.size === 0) topics!.delete(topic);
    if (topics!.size === 0) this.offsets.delete(groupId);
  }
}
