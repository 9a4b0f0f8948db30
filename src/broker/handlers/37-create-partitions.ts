/**
 * CreatePartitions (key 37), v0-3: raises a topic's partition count, with
 * optional explicit replica lists for the new partitions. A count that does
 * not grow the topic is INVALID_PARTITIONS; internal topics cannot grow;
 * max.broker.partitions and controller.mutation.rate apply as to
 * CreateTopics. validate_only checks only.
 */
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
