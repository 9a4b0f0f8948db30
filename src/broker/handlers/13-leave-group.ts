/**
 * LeaveGroup (key 13), v0-4: members leave a group, which rebalances
 * without them. v0-2 carry one member id and answer with one error code
 * (the member's); v3+ carry a batch of members (by member id, or by
 * group.instance.id with an empty member id) and answer per member.
 * Needs Read on the group (GROUP_AUTHORIZATION_FAILED).
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { LeaveGroupRequest } from '../../protocol/generated/leave-group-request.ts';
import type { LeaveGroupResponse } from '../../protocol/generated/leave-group-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

const batchVersion = 3;

export default defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: ApiKeys.LeaveGroup,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    if (!ctx.access.allows(AclOperation.READ, ResourceType.GROUP, request.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    const batched = ctx.apiVersion >= batchVersion;
    const left = await ctx.services.groups.leave({
      groupId: request.groupId,
      members: batched
        ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
        : [{ memberId: request.memberId, groupInstanceId: null }],
    });
    const errorCode = batched || left.errorCode !== ErrorCode.NONE ? left.errorCode : (left.members[0]?.errorCode ?? ErrorCode.NONE);
    return { throttleTimeMs: 0, errorCode, members: batched ? left.members : [] };
  },
});
