/**
 * What the group coordinator keeps in `__consumer_offsets`, and the
 * in-memory view of it: committed offsets per group, topic and partition,
 * plus a summary of each group's last persisted state. Pure: no I/O. The
 * coordinator appends the records built here and passes every record it
 * reads back on load, or has just appended, to `apply`, so replay and live
 * writes take one path.
 *
 * A group lives in partition `partitionForGroup(groupId, count)`, Kafka's
 * choice: abs(Java String.hashCode(groupId)) % count.
 *
 * On disk: one Kafka record per fact, key and value msgpack-encoded. Keys
 * are arrays, so one fact always encodes to the same bytes and compaction
 * (which compares key bytes) keeps only its latest record:
 *   offset commit  key [1, groupId, topic, partition]
 *                  value { offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs }
 *   group state    key [2, groupId]
 *                  value { state, protocolType, protocolName, generationId, stateChangedAtMs,
 *                          leaderId, members: [{ memberId, groupInstanceId, clientId, clientHost,
 *                          sessionTimeoutMs, rebalanceTimeoutMs, metadata, assignment }] }
 *                  (Kafka's GroupMetadataValue, written on every completed rebalance, when
 *                  the group becomes Empty and when a static member is replaced)
 * A null value (tombstone) removes the fact: an offset deleted or expired, a
 * group deleted. Records with a key of another shape are not ours and are
 * skipped with a count (`ignoredRecords`).
 */
import { Packr } from 'msgpackr';
import type { RecordInput } from '../../protocol/records/record-batch.ts';
import type { GroupSnapshot, GroupState } from './group.ts';

export interface CommittedOffset {
  offset: bigint;
  /** -1 when the client did not say. */
  leaderEpoch: number;
  /** '' when the client sent none (Kafka's NoMetadata). */
  metadata: string;
  commitTimestampMs: number;
  /** OffsetCommit v2-4 may ask for a retention of its own; null: the broker's. */
  expireTimestampMs: number | null;
}

/** The part of a group's persisted state that loading and offset expiry need. */
export interface StoredGroup {
  state: GroupState;
  stateChangedAtMs: number;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

const keyKind = { offset: 1, group: 2 } as const;

const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'bigint' });

/** Kafka's placement: abs(Java String.hashCode(groupId)) modulo the partition count. */
/** When a committed offset of an Empty group expires: its explicit expire timestamp, else retentionMs after the group emptied (or, never having had members, after the commit). */
function expiresAt(committed: CommittedOffset, retentionMs: number, emptySinceMs: number | undefined): number {
  return committed.expireTimestampMs ?? (emptySinceMs ?? committed.commitTimestampMs) + retentionMs;
}

export function partitionForGroup(groupId: string, partitionCount: number): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(31, hash) + groupId.charCodeAt(i)) | 0;
  const abs = hash === -0x80000000 ? 0 : Math.abs(hash);
  return abs % partitionCount;
}

export function offsetRecord(groupId: string, topic: string, partition: number, committed: CommittedOffset | null): RecordInput {
  return {
    key: packr.pack([keyKind.offset, groupId, topic, partition]),
    value: committed === null ? null : packr.pack(committed),
  };
}

/** The group's state record; a Dead group's is a tombstone. */
export function groupRecord(snapshot: GroupSnapshot): RecordInput {
  return {
    key: packr.pack([keyKind.group, snapshot.groupId]),
    value: snapshot.state === 'Dead' ? null : packr.pack(snapshot),
  };
}

type DecodedKey = { kind: 'offset'; groupId: string; topic: string; partition: number } | { kind: 'group'; groupId: string };

function decodeKey(key: Buffer): DecodedKey | null {
  let fields: unknown;
  try {
    fields = packr.unpack(key);
  } catch {
    return null;
  }
  if (!Array.isArray(fields) || typeof fields[1] !== 'string') return null;
  if (fields[0] === keyKind.offset && fields.length === 4 && typeof fields[2] === 'string' && Number.isInteger(fields[3])) {
    return { kind: 'offset', groupId: fields[1], topic: fields[2], partition: fields[3] };
  }
  if (fields[0] === keyKind.group && fields.length === 2) return { kind: 'group', groupId: fields[1] };
  return null;
}

function decodeOffset(value: Buffer): CommittedOffset {
  const v = packr.unpack(value) as Record<string, unknown>;
  return {
    offset: BigInt(v.offset as number | bigint),
    leaderEpoch: Number(v.leaderEpoch),
    metadata: String(v.metadata ?? ''),
    commitTimestampMs: Number(v.commitTimestampMs),
    expireTimestampMs: v.expireTimestampMs === null || v.expireTimestampMs === undefined ? null : Number(v.expireTimestampMs),
  };
}

function decodeGroup(value: Buffer): StoredGroup {
  const v = packr.unpack(value) as Record<string, unknown>;
  return { state: v.state as GroupState, stateChangedAtMs: Number(v.stateChangedAtMs) };
}

export class OffsetStore {
  /** groupId -> topic -> partition -> committed offset. */
  private readonly offsets = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  private readonly groups = new Map<string, StoredGroup>();
  ignoredRecords = 0;

  /** Applies one record of `__consumer_offsets` (see the header for its format). */
  apply(key: Buffer | null, value: Buffer | null): void {
    const decoded = key === null ? null : decodeKey(key);
    if (decoded === null) {
      this.ignoredRecords += 1;
      return;
    }
    try {
      if (decoded.kind === 'group') {
        if (value === null) this.groups.delete(decoded.groupId);
        else this.groups.set(decoded.groupId, decodeGroup(value));
      } else if (value === null) {
        this.remove(decoded.groupId, decoded.topic, decoded.partition);
      } else {
        this.set(decoded.groupId, decoded.topic, decoded.partition, decodeOffset(value));
      }
    } catch {
      this.ignoredRecords += 1;
    }
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
    for (const groupId of groupIds) {
      this.offsets.delete(groupId);
      this.groups.delete(groupId);
    }
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
