/**
 * Heartbeat (key 12), v0-4: keeps a member's session alive. Answers
 * REBALANCE_IN_PROGRESS while the group rebalances (the member must
 * rejoin), ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID for
 * members the group no longer knows as such.
 * Needs Read on the group (GROUP_AUTHORIZATION_FAILED).
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { HeartbeatRequest } from '../../protocol/generated/heartbeat-request.ts';
import type { HeartbeatResponse } from '../../protocol/generated/heartbeat-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<HeartbeatRequest, HeartbeatResponse>({
  apiKey: ApiKeys.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    if (!ctx.access.allows(AclOperation.READ, ResourceType.GROUP, request.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const { errorCode } = await ctx.services.groups.heartbeat(request);
    return { throttleTimeMs: 0, errorCode };
  },
});
