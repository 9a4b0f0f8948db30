/**
 * protocol/consumer-protocol.ts: the one decoder of the consumer protocol's
 * payloads. kb's own encodings round-trip; a version newer than the
 * definitions is read as the newest known (a newer client's payload still
 * names its topics), a negative one as 0; bytes that are not a payload throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError, Writer } from '../../src/protocol/primitives.ts';
import { decodeConsumerAssignment, decodeConsumerSubscription, encodeConsumerAssignment, encodeConsumerSubscription } from '../../src/protocol/consumer-protocol.ts';
import { encodeConsumerProtocolSubscription } from '../../src/protocol/generated/consumer-protocol-subscription.ts';
import { encodeConsumerProtocolAssignment } from '../../src/protocol/generated/consumer-protocol-assignment.ts';

test("kb's subscription and assignment round-trip, as version 1", () => {
  const subscription = encodeConsumerSubscription(['a', 'b']);
  assert.equal(subscription.readInt16BE(0), 1);
  assert.deepEqual(decodeConsumerSubscription(subscription).topics, ['a', 'b']);
  const assigned = [{ topic: 'a', partitions: [0, 2] }];
  const assignment = encodeConsumerAssignment(assigned);
  assert.equal(assignment.readInt16BE(0), 1);
  assert.deepEqual(decodeConsumerAssignment(assignment).assignedPartitions, assigned);
});

/** A payload whose prefix says `prefix` but whose body is version 3, with `extra` bytes after it (fields a newer version added). */
function payload(prefix: number, body: (w: Writer) => void, extra = Buffer.alloc(0)): Buffer {
  const w = new Writer().int16(prefix);
  body(w);
  return Buffer.concat([w.finish(), extra]);
}

test('a newer version is read as the newest known, its added fields ignored; a negative one as version 0', () => {
  const subscription = (w: Writer) => encodeConsumerProtocolSubscription(w, { topics: ['t'], userData: null, ownedPartitions: [{ topic: 't', partitions: [1] }], generationId: 4, rackId: 'r1' }, 3);
  const newer = decodeConsumerSubscription(payload(9, subscription, Buffer.from([1, 2, 3])));
  assert.deepEqual([newer.topics, newer.ownedPartitions, newer.generationId, newer.rackId], [['t'], [{ topic: 't', partitions: [1] }], 4, 'r1']);
  const assignment = (w: Writer) => encodeConsumerProtocolAssignment(w, { assignedPartitions: [{ topic: 't', partitions: [0] }], userData: null }, 3);
  assert.deepEqual(decodeConsumerAssignment(payload(4, assignment, Buffer.from([7]))).assignedPartitions, [{ topic: 't', partitions: [0] }]);
  const v0 = (w: Writer) => encodeConsumerProtocolSubscription(w, { topics: ['x'], userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 0);
  assert.deepEqual(decodeConsumerSubscription(payload(-1, v0)).topics, ['x']);
});

test('bytes that are not a payload throw ProtocolError', () => {
  for (const bytes of [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0, 1, 0x7f, 0xff, 0xff, 0xff])]) {
    assert.throws(() => decodeConsumerSubscription(bytes), ProtocolError, bytes.toString('hex'));
    assert.throws(() => decodeConsumerAssignment(bytes), ProtocolError, bytes.toString('hex'));
  }
});
