/**
 * DescribeTransactions (key 65), v0 (KIP-664): the state of transactional
 * ids at their coordinator (txn/coordinator.ts `describe`): per id its
 * state, timeout, start time (-1 without an open transaction), producer id
 * and epoch and partitions; TRANSACTIONAL_ID_NOT_FOUND for an id it does
 * not know, NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS for one it does
 * not serve (yet). Ids are deduplicated, as Kafka does. Needs Describe on
 * each id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and on the topics of
 * its transaction (else the same error, as Kafka).
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeTransactionsRequest } from '../../protocol/generated/describe-transactions-request.ts';
import type { DescribeTransactionsResponse } from '../../protocol/generated/describe-transactions-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  apiKey: ApiKeys.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    return {
      throttleTimeMs: 0,
      transactionStates: ctx.services.txns.describe([...new Set(request.transactionalIds)]).map((t) => ({
        errorCode:
          ctx.access.allows(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId) &&
          t.topics.every((topic) => ctx.access.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, topic.name))
            ? t.errorCode
            : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        transactionalId: t.transactionalId,
        transactionState: t.state,
        transactionTimeoutMs: t.timeoutMs,
        transactionStartTimeMs: BigInt(t.startMs),
        producerId: t.producerId,
        producerEpoch: t.producerEpoch,
        topics: t.topics.map((topic) => ({ topic: topic.name, partitions: topic.partitions })),
      })),
    };
  },
});
