import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { protocolErrors } from '@platformatic/kafka';
import { errorInfo, errorMessage, errorName, ErrorCode, isRetriable } from '../../src/protocol/errors.ts';

describe('error table', () => {
  it('names the codes as Kafka does', () => {
    assert.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1);
    assert.equal(ErrorCode.NONE, 0);
    assert.equal(ErrorCode.CORRUPT_MESSAGE, 2);
    assert.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 3);
    assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6);
    assert.equal(ErrorCode.UNSUPPORTED_VERSION, 35);
    assert.equal(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 45);
    assert.equal(ErrorCode.INVALID_PRODUCER_EPOCH, 47);
    assert.equal(ErrorCode.MEMBER_ID_REQUIRED, 79);
    assert.equal(ErrorCode.UNKNOWN_TOPIC_ID, 100);
    assert.equal(ErrorCode.TRANSACTION_ABORTABLE, 120);
    assert.equal(errorName(3), 'UNKNOWN_TOPIC_OR_PARTITION');
    assert.equal(errorName(-1), 'UNKNOWN_SERVER_ERROR');
  });

  it('has exactly one entry for every code from -1 to 120', () => {
    const codes = Object.values(ErrorCode).sort((a, b) => a - b);
    assert.deepEqual(codes, Array.from({ length: 122 }, (_, i) => i - 1));
    for (const [name, code] of Object.entries(ErrorCode)) {
      assert.deepEqual(errorInfo(code)?.name, name);
      assert.equal(typeof errorMessage(code), 'string');
    }
  });

  it('marks retriable errors as Kafka does', () => {
    assert.equal(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER), true);
    assert.equal(isRetriable(ErrorCode.REQUEST_TIMED_OUT), true);
    assert.equal(isRetriable(ErrorCode.NOT_ENOUGH_REPLICAS), true);
    assert.equal(isRetriable(ErrorCode.NONE), false);
    assert.equal(isRetriable(ErrorCode.TOPIC_ALREADY_EXISTS), false);
    assert.equal(isRetriable(ErrorCode.INVALID_PRODUCER_EPOCH), false);
  });

  it('agrees with the table @platformatic/kafka generates from Kafka on names and retriable flags', () => {
    const theirs = Object.values(protocolErrors).filter((entry) => entry.code >= -1 && entry.code <= 120);
    assert.equal(theirs.length, 122);
    for (const entry of theirs) {
      assert.equal(errorName(entry.code), entry.id, `code ${entry.code}`);
      assert.equal(isRetriable(entry.code), entry.canRetry, `retriable flag of ${entry.id}`);
    }
  });

  it('treats codes it does not know as Kafka clients do: unnamed, not retriable', () => {
    assert.equal(errorInfo(500), undefined);
    assert.equal(errorName(500), 'UNKNOWN_ERROR_CODE_500');
    assert.equal(isRetriable(500), false);
    assert.match(errorMessage(500), /500/);
  });

  it('gives each error other than NONE a message', () => {
    for (const code of Object.values(ErrorCode)) {
      if (code !== ErrorCode.NONE) assert.ok(errorMessage(code).length > 10, errorName(code));
    }
  });
});
