/**
 * DeleteTopics (key 20), v0-6: by name (v0-5 names array; v6 topics with a
 * name or an id). Unknown topics get UNKNOWN_TOPIC_OR_PARTITION (an unknown
 * id UNKNOWN_TOPIC_ID); internal topics cannot be deleted; deleted partitions
 * count against controller.mutation.rate (THROTTLING_QUOTA_EXCEEDED beyond). The partitions'
 * logs are removed by each broker when it sees the topic's removal record.
 * Needs Delete on each topic (TOPIC_AUTHORIZATION_FAILED), checked where
 * the request arrives (a topic id no topic has is left to UNKNOWN_TOPIC_ID).
 */
import { authorizeItems } from './authorize-items.ts';
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode, errorMessage } from '../../protocol/errors.ts';
import type { DeleteTopicsRequest } from '../../protocol/generated/delete-topics-request.ts';
import type { DeleteTopicsResponse } from '../../protocol/generated/delete-topics-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { callerOf } from '../controller-channel.ts';
import { zeroUuid } from '../../protocol/well-known.ts';

export default defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: ApiKeys.DeleteTopics,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 6,
  authorize(request, ctx) {
    const byId = ctx.apiVersion >= 6;
    const items = byId ? request.topics : request.topicNames.map((name) => ({ name, topicId: zeroUuid }));
    const nameOf = (t: { name: string | null; topicId: Buffer }) => t.name ?? ctx.services.image.topicsById.get(t.topicId.toString('hex'))?.name ?? null;
    return authorizeItems(request, {
      items,
      allowed: (t) => {
        const name = nameOf(t);
        return name === null || ctx.access.allows(AclOperation.DELETE, ResourceType.TOPIC, name);
      },
      withItems: (r, topics) => (byId ? { ...r, topics } : { ...r, topicNames: topics.map((t) => t.name!) }),
      refusal: (t) => ({ name: t.name, topicId: t.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED) }),
      withResults: (response, responses) => ({ ...response, responses: [...response.responses, ...responses] }),
    });
  },
  async handle(request, ctx) {
    const image = ctx.services.image;
    const asked: { name: string | null; topicId: Buffer }[] =
      ctx.apiVersion >= 6
        ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
        : request.topicNames.map((name) => ({ name, topicId: zeroUuid }));
    const unknownIds = asked.filter((a) => a.name === null && !image.topicsById.has(a.topicId.toString('hex')));
    const names = asked
      .filter((a) => !unknownIds.includes(a))
      .map((a) => a.name ?? image.topicsById.get(a.topicId.toString('hex'))!.name);
    const caller = callerOf(ctx);
    const results = await ctx.services.controller.deleteTopics(names, caller);
    return {
      throttleTimeMs: ctx.services.controller.mutationThrottleMs(caller),
      responses: [
        ...results.map((r) => ({
          name: r.name,
          topicId: r.topicId ? Buffer.from(r.topicId, 'hex') : zeroUuid,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
        })),
        ...unknownIds.map((a) => ({
          name: null,
          topicId: a.topicId,
          errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
          errorMessage: `no topic has id ${a.topicId.toString('hex')}`,
        })),
      ],
    };
  },
});
