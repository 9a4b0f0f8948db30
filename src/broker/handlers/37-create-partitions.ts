/**
 * CreatePartitions (key 37), v0-3: raises a topic's partition count, with
 * optional explicit replica lists for the new partitions. A count that does
 * not grow the topic is INVALID_PARTITIONS; validate_only checks only.
 */
import type { CreatePartitionsRequest } from '../../protocol/generated/create-partitions-request.ts';
import type { CreatePartitionsResponse } from '../../protocol/generated/create-partitions-response.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: 37,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    const results = await ctx.services.controller.createPartitions(
      request.topics.map((t) => ({
        name: t.name,
        count: t.count,
        assignments: t.assignments?.map((a) => a.brokerIds) ?? null,
      })),
      request.validateOnly,
    );
    return {
      throttleTimeMs: 0,
      results: results.map((r) => ({ name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage })),
    };
  },
});
