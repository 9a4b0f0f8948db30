/**
 * SyncGroup (key 14), v0-4: after a join phase the leader brings every
 * member's assignment (computed client-side: range, roundrobin, sticky,
 * cooperative-sticky are all opaque bytes here); each member's answer
 * waits for it and carries its own assignment. REBALANCE_IN_PROGRESS when
 * the group started over meanwhile.
 * Needs Read on the group (GROUP_AUTHORIZATION_FAILED).
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { syncError } from '../group/group.ts';
import type { SyncGroupRequest } from '../../protocol/generated/sync-group-request.ts';
import type { SyncGroupResponse } from '../../protocol/generated/sync-group-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<SyncGroupRequest, SyncGroupResponse>({
  apiKey: ApiKeys.SyncGroup,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    if (!ctx.access.allows(AclOperation.READ, ResourceType.GROUP, request.groupId)) return { throttleTimeMs: 0, ...syncError(ErrorCode.GROUP_AUTHORIZATION_FAILED) };
    const synced = await ctx.services.groups.sync(request);
    return { throttleTimeMs: 0, ...synced };
  },
});
