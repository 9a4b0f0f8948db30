/**
 * The consumer protocol's payloads inside the group APIs: JoinGroup's member
 * metadata (a ConsumerProtocolSubscription) and SyncGroup's assignment (a
 * ConsumerProtocolAssignment), each an int16 version followed by that
 * version of the struct. Decoding reads a version newer than the
 * definitions as the newest known (Kafka's rule for these payloads: newer
 * versions only add fields at the end) and a negative one as 0; bytes that
 * are not a payload throw ProtocolError. kb's own group member encodes
 * version 1 of both, as the Java client's range assignor does.
 */
import { Reader, Writer } from './primitives.ts';
import {
  consumerProtocolAssignmentMeta,
  decodeConsumerProtocolAssignment,
  encodeConsumerProtocolAssignment,
  type ConsumerProtocolAssignment,
  type TopicPartition,
} from './generated/consumer-protocol-assignment.ts';
import {
  consumerProtocolSubscriptionMeta,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
  type ConsumerProtocolSubscription,
} from './generated/consumer-protocol-subscription.ts';

const subscriptionVersion = 1;
const assignmentVersion = 1;

/** The payload's version, clamped into the versions the definitions know. */
function readVersion(reader: Reader, [min, max]: readonly number[]): number {
  return Math.min(Math.max(reader.int16(), min), max);
}

export function decodeConsumerSubscription(bytes: Buffer): ConsumerProtocolSubscription {
  const reader = new Reader(bytes);
  return decodeConsumerProtocolSubscription(reader, readVersion(reader, consumerProtocolSubscriptionMeta.validVersions));
}

export function decodeConsumerAssignment(bytes: Buffer): ConsumerProtocolAssignment {
  const reader = new Reader(bytes);
  return decodeConsumerProtocolAssignment(reader, readVersion(reader, consumerProtocolAssignmentMeta.validVersions));
}

/** A subscription to `topics` (no user data, no owned partitions). */
export function encodeConsumerSubscription(topics: string[]): Buffer {
  const w = new Writer().int16(subscriptionVersion);
  encodeConsumerProtocolSubscription(w, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, subscriptionVersion);
  return Buffer.from(w.finish());
}

/** An assignment of `assigned` (no user data). */
export function encodeConsumerAssignment(assigned: TopicPartition[]): Buffer {
  const w = new Writer().int16(assignmentVersion);
  encodeConsumerProtocolAssignment(w, { assignedPartitions: assigned, userData: null }, assignmentVersion);
  return Buffer.from(w.finish());
}
