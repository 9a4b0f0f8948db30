/**
 * DeleteGroups (key 42), v0-2: deletes Empty groups with their committed
 * offsets (tombstones in __consumer_offsets, written before answering).
 * Per group: NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND for
 * unknown groups, NOT_COORDINATOR where this node does not coordinate it.
 * Needs Delete on each group (GROUP_AUTHORIZATION_FAILED).
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DeleteGroupsRequest } from '../../protocol/generated/delete-groups-request.ts';
import type { DeleteGroupsResponse } from '../../protocol/generated/delete-groups-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: ApiKeys.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const allowed = request.groupsNames.filter((g) => ctx.access.allows(AclOperation.DELETE, ResourceType.GROUP, g));
    const deleted = new Map((await ctx.services.groups.deleteGroups(allowed)).map((r) => [r.groupId, r]));
    return { throttleTimeMs: 0, results: request.groupsNames.map((groupId) => deleted.get(groupId) ?? { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }) };
  },
});
