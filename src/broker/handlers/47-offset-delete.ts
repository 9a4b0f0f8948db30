/**
 * OffsetDelete (key 47), v0: removes committed offsets of a group: any of
 * an Empty group's; of a Stable consumer group only those of topics no
 * member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC for the others).
 * Top-level GROUP_ID_NOT_FOUND for unknown groups, NON_EMPTY_GROUP for a
 * non-empty group of another protocol type; per partition
 * UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist.
 */
import type { OffsetDeleteRequest } from '../../protocol/generated/offset-delete-request.ts';
import type { OffsetDeleteResponse } from '../../protocol/generated/offset-delete-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: ApiKeys.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    const refs = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    const deleted = await ctx.services.groups.deleteOffsets(request.groupId, refs);
    let next = 0;
    return {
      errorCode: deleted.errorCode,
      throttleTimeMs: 0,
      topics: deleted.errors.length === 0 ? [] : request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: deleted.errors[next++] })),
      })),
    };
  },
});
