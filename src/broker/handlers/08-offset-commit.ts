/**
 * OffsetCommit (key 8), v0-8: stores a group's consumed offsets through the
 * group coordinator (durably, in __consumer_offsets). v0 carries no
 * generation or member (a commit from outside the membership, generation
 * -1); v1 a commit timestamp per partition; v2-4 a retention time; v6+ the
 * leader epoch; v7+ the group.instance.id. Errors are per partition: a
 * group-level refusal (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS,
 * FENCED_INSTANCE_ID, INVALID_GROUP_ID) is repeated for every partition.
 */
import type { OffsetCommitRequest } from '../../protocol/generated/offset-commit-request.ts';
import type { OffsetCommitResponse } from '../../protocol/generated/offset-commit-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: ApiKeys.OffsetCommit,
  minVersion: 0,
  maxVersion: 8,
  async handle(request, ctx) {
    const errors = await ctx.services.groups.commitOffsets({
      groupId: request.groupId,
      memberId: request.memberId,
      generationId: request.generationIdOrMemberEpoch,
      groupInstanceId: request.groupInstanceId,
      retentionMs: request.retentionTimeMs >= 0n ? Number(request.retentionTimeMs) : null,
      offsets: request.topics.flatMap((topic) =>
        topic.partitions.map((p) => ({
          topic: topic.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.committedMetadata,
          commitTimestampMs: Number(p.commitTimestamp),
        })),
      ),
    });
    let next = 0;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors[next++] })),
      })),
    };
  },
});
