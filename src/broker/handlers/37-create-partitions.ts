/**
 * CreatePartitions (key 37), v0-3: raises a topic's partition count, with
 * optional explicit replica lists for the new partitions. A count that does
 * not grow the topic is INVALID_PARTITIONS; internal topics cannot grow;
 * max.broker.partitions and controller.mutation.rate apply as to
 * CreateTopics. validate_only checks only.
 * Needs Alter on each topic (TOPIC_AUTHORIZATION_FAILED), checked where the
 * request arrives.
 */
import { authorizeItems } from './authorize-items.ts';
import { ErrorCode, errorMessage } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import type { CreatePartitionsRequest } from '../../protocol/generated/create-partitions-request.ts';
import type { CreatePartitionsResponse } from '../../protocol/generated/create-partitions-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { callerOf } from '../controller-channel.ts';

export default defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: ApiKeys.CreatePartitions,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 3,
  authorize(request, ctx) {
    return authorizeItems(request, {
      items: request.topics,
      allowed: (t) => ctx.access.allows(AclOperation.ALTER, ResourceType.TOPIC, t.name),
      withItems: (r, topics) => ({ ...r, topics }),
      refusal: (t) => ({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED) }),
      withResults: (response, results) => ({ ...response, results: [...response.results, ...results] }),
    });
  },
  async handle(request, ctx) {
    const caller = callerOf(ctx);
    const results = await ctx.services.controller.createPartitions(
      request.topics.map((t) => ({
        name: t.name,
        count: t.count,
        assignments: t.assignments?.map((a) => a.brokerIds) ?? null,
      })),
      request.validateOnly,
      caller,
    );
    return {
      throttleTimeMs: ctx.services.controller.mutationThrottleMs(caller),
      results: results.map((r) => ({ name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage })),
    };
  },
});
