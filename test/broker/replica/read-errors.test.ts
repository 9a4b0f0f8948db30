/**
 * A consumer's or follower's read that the storage fails is answered per
 * partition, not by closing the connection: KAFKA_STORAGE_ERROR (retriable)
 * when a segment file cannot be opened (out of descriptors), and
 * OFFSET_OUT_OF_RANGE when the segment being read was deleted meanwhile
 * (retention, DeleteRecords) and the offset is now below the log start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { StorageError } from '../../../src/storage/errors.ts';
import { appendAsLeader, batch, openReplica, partitionRecord } from './helpers.ts';

test('a read the storage fails is KAFKA_STORAGE_ERROR or OFFSET_OUT_OF_RANGE for that partition, logged once per read', async (t) => {
  const replica = await openReplica(t, 1, partitionRecord({}));
  const { partition, log } = replica;
  await appendAsLeader(partition, batch(3));
  const failWith = (err: StorageError) => {
    log.read = () => Promise.reject(err);
  };
  failWith(new StorageError('ioFailed', 'cannot open /data/t-0/00000000000000000000.log: too many open files (EMFILE)'));
  const starved = await partition.readForConsumer(0n, 1 << 20, true);
  assert.equal(starved.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  assert.equal(starved.records.length, 0);
  assert.equal((await partition.readForFollower(0n, 1 << 20, true)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  assert.equal(replica.logs.filter((line) => /t-0: read at offset 0 failed: cannot open .* \(EMFILE\)/.test(line)).length, 2);
  failWith(new StorageError('offsetOutOfRange', 'offset 0 is outside [2, 3]'));
  const deleted = await partition.readForConsumer(0n, 1 << 20, true);
  assert.equal(deleted.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.equal(deleted.records.length, 0);
});
