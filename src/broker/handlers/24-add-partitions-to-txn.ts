/**
 * AddPartitionsToTxn (key 24), v0-3, as clients send it: partitions join
 * the producer's transaction at its coordinator (txn/coordinator.ts), an
 * error code per partition. v4+ (the brokers' batched verify form) is not
 * served: kb's partition leaders do not verify with the coordinator.
 * PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v2.
 * Needs Write on the transactional id (every partition
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and on each topic (those refused
 * TOPIC_AUTHORIZATION_FAILED, the others OPERATION_NOT_ATTEMPTED), as Kafka.
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { AddPartitionsToTxnRequest } from '../../protocol/generated/add-partitions-to-txn-request.ts';
import type { AddPartitionsToTxnResponse } from '../../protocol/generated/add-partitions-to-txn-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { fencedError } from './txn-errors.ts';

const producerFencedVersion = 2;

export default defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  apiKey: ApiKeys.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    const topics = request.v3AndBelowTopics.map((t) => ({ name: t.name, partitions: t.partitions }));
    const transactionalId = request.v3AndBelowTransactionalId;
    const refusedTopics = new Set(topics.filter((t) => !ctx.access.allows(AclOperation.WRITE, ResourceType.TOPIC, t.name)).map((t) => t.name));
    const refusal = !ctx.access.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)
      ? () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : refusedTopics.size > 0
        ? (topic: string) => (refusedTopics.has(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED)
        : null;
    const errors = refusal
      ? new Map(topics.map((t) => [t.name, new Map(t.partitions.map((p) => [p, refusal(t.name)]))]))
      : await ctx.services.txns.addPartitions(transactionalId, request.v3AndBelowProducerId, request.v3AndBelowProducerEpoch, topics);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: [...errors].map(([name, partitions]) => ({
        name,
        resultsByPartition: [...partitions].map(([partitionIndex, errorCode]) => ({ partitionIndex, partitionErrorCode: fencedError(errorCode, ctx.apiVersion, producerFencedVersion) })),
      })),
    };
  },
});
