/**
 * FindCoordinator (key 10), v0-4: the broker that coordinates a group (key
 * type 0): the leader of the group's partition of __consumer_offsets, which
 * is created on the first request. COORDINATOR_NOT_AVAILABLE while that
 * partition has no leader or is still loading. v4 batches keys
 * (`coordinatorKeys`, one result each); v0-3 answer one key. kb has no
 * transaction coordinator: other key types get INVALID_REQUEST. The
 * coordinator's address is its endpoint on the listener the request came in
 * on (COORDINATOR_NOT_AVAILABLE when it has no such listener).
 * Needs Describe on the group (GROUP_AUTHORIZATION_FAILED), or on the
 * transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 */
import type { ConnectionAccess } from '../auth/access-control.ts';
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { FindCoordinatorRequest } from '../../protocol/generated/find-coordinator-request.ts';
import type { FindCoordinatorResponse } from '../../protocol/generated/find-coordinator-response.ts';
import { endpointOf } from '../../metadata/records.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler, type GroupService } from './handler.ts';

const groupKeyType = 0;
const transactionKeyType = 1;
const batchedKeysVersion = 4;

interface Found {
  errorCode: number;
  errorMessage: string | null;
  node: { nodeId: number; host: string; port: number } | null;
}

/** The coordinator of `key`, at its endpoint on `listener` (the one the request came in on). */
async function find(groups: GroupService, access: ConnectionAccess, key: string, keyType: number, listener: string): Promise<Found> {
  if (keyType === groupKeyType && !access.allows(AclOperation.DESCRIBE, ResourceType.GROUP, key)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, node: null };
  if (keyType === transactionKeyType && !access.allows(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)) {
    return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: null, node: null };
  }
  if (keyType !== groupKeyType) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `kb coordinates consumer groups only (key type 0), not key type ${keyType}`, node: null };
  }
  const answer = await groups.findCoordinator(key);
  if (answer.node === null) return { ...answer, node: null };
  const endpoint = endpointOf(answer.node, listener);
  if (!endpoint) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: `the coordinator, broker ${answer.node.nodeId}, has no listener ${listener}`, node: null };
  return { ...answer, node: { nodeId: answer.node.nodeId, host: endpoint.host, port: endpoint.port } };
}

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: ApiKeys.FindCoordinator,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const groups = ctx.services.groups;
    if (ctx.apiVersion >= batchedKeysVersion) {
      const answers = await Promise.all(request.coordinatorKeys.map((key) => find(groups, ctx.access, key, request.keyType, ctx.listener.name)));
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        nodeId: -1,
        host: '',
        port: -1,
        coordinators: answers.map((a, i) => ({
          key: request.coordinatorKeys[i],
          nodeId: a.node?.nodeId ?? -1,
          host: a.node?.host ?? '',
          port: a.node?.port ?? -1,
          errorCode: a.errorCode,
          errorMessage: a.errorMessage,
        })),
      };
    }
    const answer = await find(groups, ctx.access, request.key, request.keyType, ctx.listener.name);
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      errorMessage: answer.errorMessage,
      nodeId: answer.node?.nodeId ?? -1,
      host: answer.node?.host ?? '',
      port: answer.node?.port ?? -1,
      coordinators: [],
    };
  },
});
