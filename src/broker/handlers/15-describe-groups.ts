/**
 * DescribeGroups (key 15), v0-5: state, protocol type, selected protocol
 * and members (client id, host, and while Stable their metadata and
 * assignment) of each group. An unknown group is described as Dead without
 * error, as Kafka does; a group this node does not coordinate gets
 * NOT_COORDINATOR. Authorized operations are not computed (kb has no ACLs).
 */
import type { DescribeGroupsRequest } from '../../protocol/generated/describe-groups-request.ts';
import type { DescribeGroupsResponse } from '../../protocol/generated/describe-groups-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

const authorizedOperationsUnknown = -2147483648;

export default defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: ApiKeys.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const described = await ctx.services.groups.describe(request.groups);
    return {
      throttleTimeMs: 0,
      groups: described.map((g) => ({ ...g, authorizedOperations: authorizedOperationsUnknown })),
    };
  },
});
