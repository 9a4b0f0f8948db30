import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerStateTable, batchesRememberedPerProducer, type SequenceCheck } from '../../../src/broker/replica/producer-state.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const batch = (baseSequence: number, recordCount = 2, producerEpoch = 0, producerId = 7n) => ({ producerId, producerEpoch, baseSequence, recordCount });
/** A check's error code (0 when it is not a rejection). */
const outcome = (check: SequenceCheck): number => (check.action === 'reject' ? check.errorCode : 0);

test('sequences must continue from the last batch', () => {
  const table = new ProducerStateTable();
  assert.deepEqual(table.check(batch(0)), { action: 'append' });
  table.record(batch(0), 0n, 100n);
  assert.deepEqual(table.check(batch(2)), { action: 'append' });
  assert.equal(outcome(table.check(batch(5))), ErrorCode.NOT_LEADER_OR_FOLLOWER, 'a gap: not yet');
  table.record(batch(2), 2n, 100n);
  assert.equal(outcome(table.check(batch(1))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'older, not a batch remembered');
});

test('a retry of one of the last five batches is a duplicate with its original offset', () => {
  const table = new ProducerStateTable();
  for (let i = 0; i < 7; i++) table.record(batch(i * 2), BigInt(i * 10), BigInt(1000 + i));
  assert.deepEqual(table.check(batch(12)), { action: 'duplicate', baseOffset: 60n, timestamp: 1006n });
  assert.deepEqual(table.check(batch(4)), { action: 'duplicate', baseOffset: 20n, timestamp: 1002n });
  // batches older than the last five are forgotten: an old sequence is out of order
  const old = table.check(batch(2));
  assert.equal(old.action, 'reject');
  assert.equal(batchesRememberedPerProducer, 5);
});

test('an older epoch is fenced; a newer epoch must start at sequence 0', () => {
  const table = new ProducerStateTable();
  table.record(batch(0, 1, 3), 0n, 1n);
  const stale = table.check(batch(1, 1, 2));
  assert.equal(stale.action === 'reject' && stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.deepEqual(table.check(batch(0, 1, 4)), { action: 'append' });
  const bad = table.check(batch(9, 1, 4));
  assert.equal(bad.action === 'reject' && bad.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
});

test('non-idempotent batches and unknown producers are appended; sequences wrap at 2^31', () => {
  const table = new ProducerStateTable();
  assert.deepEqual(table.check({ producerId: -1n, producerEpoch: -1, baseSequence: -1, recordCount: 3 }), { action: 'append' });
  assert.deepEqual(table.check(batch(500)), { action: 'append' });
  table.record(batch(0x7ffffffe, 2), 0n, 0n);
  assert.deepEqual(table.check(batch(0, 1)), { action: 'append' });
});

test('truncation forgets batches at or after the offset', () => {
  const table = new ProducerStateTable();
  table.record(batch(0), 0n, 0n);
  table.record(batch(2), 2n, 0n);
  table.truncateTo(2n);
  assert.deepEqual(table.check(batch(2)), { action: 'append' });
  table.truncateTo(0n);
  assert.equal(table.size, 0);
});

test('a batch that skips sequences this leader has not written is answered NOT_LEADER_OR_FOLLOWER, to be retried after them', () => {
  const table = new ProducerStateTable();
  table.record(batch(0), 0n, 0n);
  // The producer's batch at sequence 2 is in flight elsewhere, or was refused here; the next one arrives first.
  assert.deepEqual(table.check(batch(4)), {
    action: 'reject',
    errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
    message: "sequence 4 skips sequence 2, which this leader has not written: retry the producer's earlier batches first",
  });
  assert.deepEqual(table.check(batch(2)), { action: 'append' });
  table.record(batch(2), 2n, 0n);
  assert.deepEqual(table.check(batch(4)), { action: 'append' });
  table.record(batch(0x7ffffffd, 2), 4n, 0n);
  assert.equal(outcome(table.check(batch(3))), ErrorCode.NOT_LEADER_OR_FOLLOWER, 'ahead across the wrap at 2^31');
  assert.equal(outcome(table.check(batch(0x7ffffff0))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'behind across the wrap');
});

test('producers idle since before the expiry time are forgotten, not one with an open transaction; the snapshot drops them', () => {
  const table = new ProducerStateTable();
  table.record(batch(0, 1, 0, 1n), 0n, 1_000n); // idle since 1000
  table.record(batch(0, 1, 0, 2n), 1n, 1_000n); // idle since 1000, but its transaction is open
  table.record(batch(0, 1, 0, 3n), 2n, 1_000n);
  table.recordMarker(3n, 0, 0, 5_000n); // its marker at 5000 counts as activity
  table.record(batch(0, 1, 0, 4n), 3n, 9_000n);
  table.expire(5_000n, new Map([[2n, 1n]]));
  assert.deepEqual(table.describe().map((p) => p.producerId), [2n, 3n, 4n]);
  assert.equal(outcome(table.check(batch(5, 1, 0, 2n))), ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the open one keeps its sequences');
  assert.deepEqual(table.check(batch(5, 1, 0, 1n)), { action: 'append' }, 'an expired producer starts afresh, as an unknown one');
  table.expire(5_001n, new Map());
  assert.deepEqual(ProducerStateTable.fromSnapshot(table.toSnapshot()).describe().map((p) => p.producerId), [4n]);
});
