/**
 * OffsetDelete (key 47), v0: removes committed offsets of a group: any of
 * an Empty group's; of a Stable consumer group only those of topics no
 * member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC for the others).
 * Top-level GROUP_ID_NOT_FOUND for unknown groups, NON_EMPTY_GROUP for a
 * non-empty group of another protocol type; per partition
 * UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist.
 * Needs Delete on the group (GROUP_AUTHORIZATION_FAILED) and Read on each
 * topic (its partitions TOPIC_AUTHORIZATION_FAILED, kept), as Kafka.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import type { OffsetDeleteRequest } from '../../protocol/generated/offset-delete-request.ts';
import type { OffsetDeleteResponse } from '../../protocol/generated/offset-delete-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: ApiKeys.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    if (!ctx.access.allows(AclOperation.DELETE, ResourceType.GROUP, request.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    const readable = new Set(request.topics.filter((t) => ctx.access.allows(AclOperation.READ, ResourceType.TOPIC, t.name)).map((t) => t.name));
    const refs = request.topics.filter((t) => readable.has(t.name)).flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    const deleted = await ctx.services.groups.deleteOffsets(request.groupId, refs);
    if (deleted.errorCode !== ErrorCode.NONE) return { errorCode: deleted.errorCode, throttleTimeMs: 0, topics: [] };
    let next = 0;
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: readable.has(t.name) ? deleted.errors[next++] : ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
      })),
    };
  },
});
