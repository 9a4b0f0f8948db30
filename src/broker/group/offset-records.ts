/**
 * The records of `__consumer_offsets` in Kafka's schemas (generated from
 * ../shared/kafka-protocol/coordinator-records/), so tools that read the
 * topic directly (Burrow, Kafka's OffsetsMessageFormatter) read kb's. Pure:
 * builds the record of a fact and decodes one back.
 *
 *   offset commit  key   int16 1, OffsetCommitKey v0 (group, topic, partition)
 *                  value int16 version, OffsetCommitValue: v1 when the commit
 *                        has an expire timestamp (v3 has no field for it;
 *                        v1 has none for the leader epoch, which the
 *                        OffsetCommit versions that set a retention, v2-4,
 *                        do not carry), else v3, as Kafka 3.x writes
 *   group state    key   int16 2, GroupMetadataKey v0 (group)
 *                  value int16 3, GroupMetadataValue v3 (written on every
 *                        completed rebalance, when the group becomes Empty
 *                        and when a static member is replaced)
 * A null value (tombstone) removes the fact: an offset deleted or expired, a
 * group deleted. One fact always encodes to the same key bytes, so
 * compaction (which compares key bytes) keeps only its latest record.
 * Decoding also reads key type 0 (Kafka's older offset key, same fields) and
 * every value version of the schemas; anything else throws ProtocolError.
 * Strings are at most 32767 bytes (`fitsRecordString`); encoding a longer
 * one throws RangeError.
 */
import { ProtocolError, Reader, Writer } from '../../protocol/primitives.ts';
import { decodeGroupMetadataKey, encodeGroupMetadataKey } from '../../protocol/generated/group-metadata-key.ts';
import { decodeGroupMetadataValue, encodeGroupMetadataValue, groupMetadataValueMeta } from '../../protocol/generated/group-metadata-value.ts';
import { decodeOffsetCommitKey, encodeOffsetCommitKey } from '../../protocol/generated/offset-commit-key.ts';
import { decodeOffsetCommitValue, encodeOffsetCommitValue, offsetCommitValueMeta } from '../../protocol/generated/offset-commit-value.ts';
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

/**
 * The part of a group's persisted state that loading and offset expiry
 * need. Kafka's record has no state: a group stored with members is Stable,
 * one without is Empty. `stateChangedAtMs` is null when the record does not
 * say (GroupMetadataValue before v2).
 */
export interface StoredGroup {
  state: Extract<GroupState, 'Empty' | 'Stable'>;
  stateChangedAtMs: number | null;
}

/** A record of the topic: key always set, value null for a tombstone. */
export interface KafkaRecord {
  key: Buffer;
  value: Buffer | null;
}

export type RecordKey = { kind: 'offset'; groupId: string; topic: string; partition: number } | { kind: 'group'; groupId: string };

/** The longest string (in UTF-8 bytes) a record can hold: strings have an int16 length. */
const maxStringBytes = 0x7fff;

/** Whether `text` fits a string field of the records (group ids, metadata: longer ones are refused). */
export function fitsRecordString(text: string): boolean {
  return Buffer.byteLength(text) <= maxStringBytes;
}

/** The int16 before a key: which record it is. 0 is Kafka's older offset key (same fields as 1). */
const keyType = { oldOffset: 0, offset: 1, group: 2 } as const;
const offsetValueVersion = { withExpiry: 1, plain: 3 } as const;
const groupValueVersion = 3;

function encoded(write: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  write(w);
  return Buffer.from(w.finish());
}

/** A millisecond time as an int64, whatever the clock handed over. */
function int64Ms(ms: number): bigint {
  return Number.isFinite(ms) ? BigInt(Math.trunc(ms)) : -1n;
}

export function offsetRecord(groupId: string, topic: string, partition: number, committed: CommittedOffset | null): KafkaRecord {
  const key = encoded((w) => encodeOffsetCommitKey(w.int16(keyType.offset), { group: groupId, topic, partition }, 0));
  if (committed === null) return { key, value: null };
  const version = committed.expireTimestampMs === null ? offsetValueVersion.plain : offsetValueVersion.withExpiry;
  const value = encoded((w) =>
    encodeOffsetCommitValue(
      w.int16(version),
      {
        offset: committed.offset,
        leaderEpoch: committed.leaderEpoch,
        metadata: committed.metadata,
        commitTimestamp: int64Ms(committed.commitTimestampMs),
        expireTimestamp: committed.expireTimestampMs === null ? -1n : int64Ms(committed.expireTimestampMs),
      },
      version,
    ),
  );
  return { key, value };
}

/** The group's state record; a Dead group's is a tombstone. */
export function groupRecord(snapshot: GroupSnapshot): KafkaRecord {
  const key = encoded((w) => encodeGroupMetadataKey(w.int16(keyType.group), { group: snapshot.groupId }, 0));
  if (snapshot.state === 'Dead') return { key, value: null };
  const value = encoded((w) =>
    encodeGroupMetadataValue(
      w.int16(groupValueVersion),
      {
        protocolType: snapshot.protocolType ?? '',
        generation: snapshot.generationId,
        protocol: snapshot.protocolName,
        leader: snapshot.leaderId,
        currentStateTimestamp: int64Ms(snapshot.stateChangedAtMs),
        members: snapshot.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: m.rebalanceTimeoutMs,
          sessionTimeout: m.sessionTimeoutMs,
          subscription: m.metadata,
          assignment: m.assignment,
        })),
      },
      groupValueVersion,
    ),
  );
  return { key, value };
}

/** The fact a key names; null for a key type that is not an offset or group record. */
export function decodeRecordKey(key: Buffer): RecordKey | null {
  const r = new Reader(key);
  const type = r.int16();
  let decoded: RecordKey;
  if (type === keyType.offset || type === keyType.oldOffset) {
    const k = decodeOffsetCommitKey(r, 0);
    decoded = { kind: 'offset', groupId: k.group, topic: k.topic, partition: k.partition };
  } else if (type === keyType.group) {
    decoded = { kind: 'group', groupId: decodeGroupMetadataKey(r, 0).group };
  } else {
    return null;
  }
  if (r.remaining !== 0) throw new ProtocolError(`${r.remaining} bytes after the key`);
  return decoded;
}

function valueVersion(r: Reader, valid: readonly [number, number], name: string): number {
  const version = r.int16();
  if (version < valid[0] || version > valid[1]) throw new ProtocolError(`unknown ${name} version ${version}`);
  return version;
}

export function decodeOffsetValue(value: Buffer): CommittedOffset {
  const r = new Reader(value);
  const version = valueVersion(r, offsetCommitValueMeta.validVersions, 'OffsetCommitValue');
  const v = decodeOffsetCommitValue(r, version);
  return {
    offset: v.offset,
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestampMs: Number(v.commitTimestamp),
    expireTimestampMs: v.expireTimestamp >= 0n ? Number(v.expireTimestamp) : null,
  };
}

export function decodeGroupValue(value: Buffer): StoredGroup {
  const r = new Reader(value);
  const version = valueVersion(r, groupMetadataValueMeta.validVersions, 'GroupMetadataValue');
  const v = decodeGroupMetadataValue(r, version);
  return {
    state: v.members.length === 0 ? 'Empty' : 'Stable',
    stateChangedAtMs: v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : null,
  };
}
