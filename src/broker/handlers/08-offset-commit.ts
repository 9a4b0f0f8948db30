/**
 * OffsetCommit (key 8), v0-8: stores a group's consumed offsets through the
 * group coordinator (durably, in __consumer_offsets). v0 carries no
 * generation or member (a commit from outside the membership, generation
 * -1); v1 a commit timestamp per partition; v2-4 a retention time; v6+ the
 * leader epoch; v7+ the group.instance.id. Errors are per partition: a
 * group-level refusal (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS,
 * FENCED_INSTANCE_ID, INVALID_GROUP_ID) is repeated for every partition.
 * Needs Read on the group (else every partition GROUP_AUTHORIZATION_FAILED)
 * and on each topic (else its partitions TOPIC_AUTHORIZATION_FAILED, not
 * committed), as Kafka.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import type { OffsetCommitRequest } from '../../protocol/generated/offset-commit-request.ts';
import type { OffsetCommitResponse } from '../../protocol/generated/offset-commit-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: ApiKeys.OffsetCommit,
  minVersion: 0,
  maxVersion: 8,
  async handle(request, ctx) {
    const groupAllowed = ctx.access.allows(AclOperation.READ, ResourceType.GROUP, request.groupId);
    const readable = new Set(groupAllowed ? request.topics.filter((t) => ctx.access.allows(AclOperation.READ, ResourceType.TOPIC, t.name)).map((t) => t.name) : []);
    const refused = (topic: string) => (!groupAllowed ? ErrorCode.GROUP_AUTHORIZATION_FAILED : readable.has(topic) ? null : ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const errors = !groupAllowed ? [] : await ctx.services.groups.commitOffsets({
      groupId: request.groupId,
      memberId: request.memberId,
      generationId: request.generationIdOrMemberEpoch,
      groupInstanceId: request.groupInstanceId,
      retentionMs: request.retentionTimeMs >= 0n ? Number(request.retentionTimeMs) : null,
      offsets: request.topics.filter((t) => readable.has(t.name)).flatMap((topic) =>
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
        partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: refused(topic.name) ?? errors[next++] })),
      })),
    };
  },
});
