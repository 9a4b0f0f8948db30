/**
 * DescribeProducers (key 61), v0 (KIP-664): per partition this broker
 * leads, the producers its state knows: id, epoch, last sequence and
 * timestamp, the coordinator epoch of its last marker and the first offset
 * of its open transaction (-1: none), what `kb txn find-hanging` looks at
 * (Partition.describeProducers). A partition not led here is
 * NOT_LEADER_OR_FOLLOWER, an unknown one UNKNOWN_TOPIC_OR_PARTITION. Needs
 * Read on the topic (TOPIC_AUTHORIZATION_FAILED), as Kafka.
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeProducersRequest } from '../../protocol/generated/describe-producers-request.ts';
import type { DescribeProducersResponse } from '../../protocol/generated/describe-producers-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<DescribeProducersRequest, DescribeProducersResponse>({
  apiKey: ApiKeys.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => {
        const readable = ctx.access.allows(AclOperation.READ, ResourceType.TOPIC, topic.name);
        return {
          name: topic.name,
          partitions: topic.partitionIndexes.map((partitionIndex) => {
            const refused = (errorCode: number) => ({ partitionIndex, errorCode, errorMessage: null, activeProducers: [] });
            if (!readable) return refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            const partition = ctx.services.replicas.leaderPartition(topic.name, partitionIndex);
            if ('errorCode' in partition) return refused(partition.errorCode);
            return {
              partitionIndex,
              errorCode: ErrorCode.NONE,
              errorMessage: null,
              activeProducers: partition.describeProducers().map((p) => ({
                producerId: p.producerId,
                producerEpoch: p.epoch,
                lastSequence: p.lastSequence,
                lastTimestamp: p.lastTimestamp,
                coordinatorEpoch: p.coordinatorEpoch,
                currentTxnStartOffset: p.txnStartOffset,
              })),
            };
          }),
        };
      }),
    };
  },
});
