/**
 * ListGroups (key 16), v0-4: the groups this node coordinates, with their
 * protocol type and (v4+) state; v4+ may filter by state names
 * (case-insensitive). COORDINATOR_LOAD_IN_PROGRESS while a partition of
 * __consumer_offsets that this node leads is not served yet (its log
 * opening, or loading).
 */
import type { ListGroupsRequest } from '../../protocol/generated/list-groups-request.ts';
import type { ListGroupsResponse } from '../../protocol/generated/list-groups-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

const consumerGroupType = 'classic';

export default defineHandler<ListGroupsRequest, ListGroupsResponse>({
  apiKey: ApiKeys.ListGroups,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const listed = await ctx.services.groups.list(request.statesFilter);
    return {
      throttleTimeMs: 0,
      errorCode: listed.errorCode,
      groups: listed.groups.map((g) => ({ ...g, groupType: consumerGroupType })),
    };
  },
});
