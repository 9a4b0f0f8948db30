/**
 * Reads the records kb wrote into `__consumer_offsets` before it used
 * Kafka's schemas (#23), so a data dir written then keeps its committed
 * offsets and groups. Pure: `fromLegacy` turns one such record into the
 * Kafka-format record of the same fact (offset-store.ts writes those), or
 * returns null for a record that is not a legacy one. The offset store
 * applies the result like any record and remembers the legacy key, so the
 * coordinator can rewrite the fact in Kafka's format and tombstone the
 * legacy key once (see OffsetStore.legacyUpgrade).
 *
 * The legacy format: key and value msgpack-encoded, keys arrays.
 *   offset commit  key [1, groupId, topic, partition]
 *                  value { offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs }
 *   group state    key [2, groupId]
 *                  value { state, protocolType, protocolName, generationId, stateChangedAtMs,
 *                          leaderId, members: [{ memberId, groupInstanceId, clientId, clientHost,
 *                          sessionTimeoutMs, rebalanceTimeoutMs, metadata, assignment }] }
 * A null value is a tombstone. A Kafka-format key starts with its int16
 * record type (0-2), so its first byte is 0; a legacy key starts with a
 * msgpack array header (0x92 or 0x94): the two never collide.
 */
import { Unpackr } from 'msgpackr';
import type { GroupSnapshot } from './group.ts';
import { groupRecord, offsetRecord, type CommittedOffset, type KafkaRecord } from './offset-records.ts';

const unpackr = new Unpackr({ useRecords: false, moreTypes: false, int64AsType: 'bigint' });

const legacyKind = { offset: 1, group: 2 } as const;

/** Whether `key` is in the legacy format (a msgpack array), by its first byte. */
export function isLegacyKey(key: Buffer): boolean {
  return key.length > 0 && (key[0] & 0xf0) === 0x90;
}

/** The Kafka-format record of the fact a legacy record states; null when it is unreadable (or does not fit Kafka's schema). */
export function fromLegacy(key: Buffer, value: Buffer | null): KafkaRecord | null {
  try {
    return convert(unpackr.unpack(key), value === null ? null : unpackr.unpack(value));
  } catch {
    return null;
  }
}

function convert(fields: unknown, decoded: Record<string, unknown> | null): KafkaRecord | null {
  if (!Array.isArray(fields) || typeof fields[1] !== 'string' || (decoded !== null && (typeof decoded !== 'object' || decoded === null))) return null;
  const groupId = fields[1];
  if (fields[0] === legacyKind.offset && fields.length === 4 && typeof fields[2] === 'string' && Number.isInteger(fields[3])) {
    return offsetRecord(groupId, fields[2], fields[3] as number, decoded === null ? null : committedOffset(decoded));
  }
  if (fields[0] === legacyKind.group && fields.length === 2) {
    return groupRecord(decoded === null ? { ...emptySnapshot(groupId), state: 'Dead' } : snapshot(groupId, decoded));
  }
  return null;
}

function committedOffset(v: Record<string, unknown>): CommittedOffset {
  return {
    offset: BigInt(v.offset as number | bigint),
    leaderEpoch: Number(v.leaderEpoch ?? -1),
    metadata: String(v.metadata ?? ''),
    commitTimestampMs: Number(v.commitTimestampMs),
    expireTimestampMs: v.expireTimestampMs === null || v.expireTimestampMs === undefined ? null : Number(v.expireTimestampMs),
  };
}

function emptySnapshot(groupId: string): GroupSnapshot {
  return { groupId, state: 'Empty', stateChangedAtMs: -1, generationId: 0, protocolType: null, protocolName: null, leaderId: null, members: [] };
}

function snapshot(groupId: string, v: Record<string, unknown>): GroupSnapshot {
  const members = Array.isArray(v.members) ? (v.members as Record<string, unknown>[]) : [];
  const text = (x: unknown) => (typeof x === 'string' ? x : null);
  return {
    ...emptySnapshot(groupId),
    stateChangedAtMs: Number(v.stateChangedAtMs ?? -1),
    generationId: Number(v.generationId ?? 0),
    protocolType: text(v.protocolType),
    protocolName: text(v.protocolName),
    leaderId: text(v.leaderId),
    members: members.map((m) => ({
      memberId: String(m.memberId),
      groupInstanceId: text(m.groupInstanceId),
      clientId: String(m.clientId ?? ''),
      clientHost: String(m.clientHost ?? ''),
      sessionTimeoutMs: Number(m.sessionTimeoutMs ?? 0),
      rebalanceTimeoutMs: Number(m.rebalanceTimeoutMs ?? 0),
      metadata: Buffer.isBuffer(m.metadata) ? m.metadata : Buffer.alloc(0),
      assignment: Buffer.isBuffer(m.assignment) ? m.assignment : Buffer.alloc(0),
    })),
  };
}
