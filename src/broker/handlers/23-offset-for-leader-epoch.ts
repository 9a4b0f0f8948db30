/**
 * OffsetForLeaderEpoch (key 23), v0-4: for each partition this broker
 * leads, the largest leader epoch <= the one asked and the offset where it
 * ended (the log end for the latest epoch; -1, -1 when the log knows no such
 * epoch). Clients (librdkafka after a leader change) and followers use it to
 * find where their log stops agreeing with the leader's. The current leader
 * epoch (v2+, -1 = unchecked) must be ours: FENCED_LEADER_EPOCH when older,
 * UNKNOWN_LEADER_EPOCH when newer; NOT_LEADER_OR_FOLLOWER off the leader.
 * A client needs Describe on the topic (TOPIC_AUTHORIZATION_FAILED).
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { OffsetForLeaderEpochRequest } from '../../protocol/generated/offset-for-leader-epoch-request.ts';
import type { OffsetForLeaderEpochResponse } from '../../protocol/generated/offset-for-leader-epoch-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  apiKey: ApiKeys.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => {
        const describable = ctx.access.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, t.topic);
        return {
          topic: t.topic,
          partitions: t.partitions.map((p) => {
            const failed = (errorCode: number) => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n });
            if (!describable) return failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            const partition = ctx.services.replicas.leaderPartition(t.topic, p.partition);
            if ('errorCode' in partition) return failed(partition.errorCode);
            const epochError = partition.checkLeaderEpoch(p.currentLeaderEpoch);
            if (epochError !== ErrorCode.NONE) return failed(epochError);
            const found = partition.log.endOffsetForEpoch(p.leaderEpoch);
            return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: found.epoch, endOffset: found.endOffset };
          }),
        };
      }),
    };
  },
});
