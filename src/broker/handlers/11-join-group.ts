/**
 * JoinGroup (key 11), v0-6: a member joins (or rejoins) a group through the
 * group coordinator; the answer waits for the join phase to complete. v4+
 * members without an id first get MEMBER_ID_REQUIRED with the id to rejoin
 * with; v5+ carry group.instance.id (static membership). v0 has no
 * rebalance timeout: the session timeout serves. The leader's answer lists
 * every member with the metadata of the selected protocol; the broker does
 * not look inside it (assignors run client-side).
 * Needs Read on the group (GROUP_AUTHORIZATION_FAILED; auth/api-operations.ts).
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { JoinGroupRequest } from '../../protocol/generated/join-group-request.ts';
import type { JoinGroupResponse } from '../../protocol/generated/join-group-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

const rebalanceTimeoutVersion = 1;
const memberIdRequiredVersion = 4;
const skipAssignmentVersion = 9;

/** Kafka's client host: the address without port, as Java prints an InetAddress ("/127.0.0.1"). */
export function clientHost(clientAddress: string): string {
  const host = clientAddress.slice(0, clientAddress.lastIndexOf(':'));
  return `/${host.replace(/^\[(.*)\]$/, '$1')}`;
}

export default defineHandler<JoinGroupRequest, JoinGroupResponse>({
  apiKey: ApiKeys.JoinGroup,
  minVersion: 0,
  maxVersion: 6,
  async handle(request, ctx) {
    if (!ctx.access.allows(AclOperation.READ, ResourceType.GROUP, request.groupId)) {
      const errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
      return { throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: '', leader: '', skipAssignment: false, memberId: '', members: [] };
    }
    const joined = await ctx.services.groups.join({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: request.protocolType,
      protocols: request.protocols,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: ctx.apiVersion >= rebalanceTimeoutVersion ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
      clientId: ctx.clientId ?? '',
      clientHost: clientHost(ctx.clientAddress),
      requireKnownMemberId: ctx.apiVersion >= memberIdRequiredVersion,
      supportsSkipAssignment: ctx.apiVersion >= skipAssignmentVersion,
    });
    return {
      throttleTimeMs: 0,
      errorCode: joined.errorCode,
      generationId: joined.generationId,
      protocolType: joined.protocolType,
      protocolName: joined.protocolName ?? '',
      leader: joined.leader,
      skipAssignment: joined.skipAssignment,
      memberId: joined.memberId,
      members: joined.members,
    };
  },
});
