/**
 * DescribeGroups (key 15), v0-5: state, protocol type, selected protocol
 * and members (client id, host, and while Stable their metadata and
 * assignment) of each group. An unknown group is described as Dead without
 * error, as Kafka does; a group this node does not coordinate gets
 * NOT_COORDINATOR. Authorized operations are not computed (kb has no ACLs).
 * Needs Describe on each group (GROUP_AUTHORIZATION_FAILED).
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
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
    const allowed = request.groups.filter((g) => ctx.access.allows(AclOperation.DESCRIBE, ResourceType.GROUP, g));
    const found = new Map((await ctx.services.groups.describe(allowed)).map((g) => [g.groupId, g]));
    const refused = (groupId: string) => ({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: 'Dead' as const, protocolType: '', protocolData: '', members: [] });
    const described = request.groups.map((g) => found.get(g) ?? refused(g));
    return {
      throttleTimeMs: 0,
      groups: described.map((g) => ({ ...g, authorizedOperations: authorizedOperationsUnknown })),
    };
  },
});
