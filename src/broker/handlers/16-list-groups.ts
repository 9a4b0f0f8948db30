/**
 * ListGroups (key 16), v0-4: the groups this node coordinates, with their
 * protocol type and (v4+) state; v4+ may filter by state names
 * (case-insensitive). COORDINATOR_LOAD_IN_PROGRESS while a partition of
 * __consumer_offsets that this node leads is not served yet (its log
 * opening, or loading).
 * Lists the groups the principal may Describe (all with Describe on the
 * cluster), as Kafka.
 */
import { AclOperation, ResourceType, clusterResourceName } from '../../protocol/acl.ts';
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
    const everyGroup = ctx.access.mayList(AclOperation.DESCRIBE, ResourceType.CLUSTER, clusterResourceName);
    return {
      throttleTimeMs: 0,
      errorCode: listed.errorCode,
      groups: listed.groups.filter((g) => everyGroup || ctx.access.mayList(AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId)).map((g) => ({ ...g, groupType: consumerGroupType })),
    };
  },
});
