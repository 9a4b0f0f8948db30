/**
 * FindCoordinator (key 10), v0-4: the broker that coordinates a group (key
 * type 0: the leader of the group's partition of __consumer_offsets) or a
 * transactional id (key type 1: the leader of its partition of
 * __transaction_state); the topic is created on the first request.
 * COORDINATOR_NOT_AVAILABLE while that partition has no leader or is still
 * loading. v4 batches keys (`coordinatorKeys`, one result each); v0-3
 * answer one key. Other key types get INVALID_REQUEST. The coordinator's
 * address is its endpoint on the listener the request came in on
 * (COORDINATOR_NOT_AVAILABLE when it has no such listener).
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
import { defineHandler, type BrokerServices } from './handler.ts';

const keyTypes = { group: 0, transaction: 1 } as const;
const batchedKeysVersion = 4;

interface Found {
  errorCode: number;
  errorMessage: string | null;
  node: { nodeId: number; host: string; port: number } | null;
}

/** The coordinator of `key`, at its endpoint on `listener` (the one the request came in on). */
async function find(services: BrokerServices, access: ConnectionAccess, key: string, keyType: number, listener: string): Promise<Found> {
  if (keyType === keyTypes.group && !access.allows(AclOperation.DESCRIBE, ResourceType.GROUP, key)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, node: null };
  if (keyType === keyTypes.transaction && !access.allows(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)) {
    return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: null, node: null };
  }
  if (keyType !== keyTypes.group && keyType !== keyTypes.transaction) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `kb coordinates consumer groups (key type 0) and transactions (key type 1), not key type ${keyType}`, node: null };
  }
  const answer = await (keyType === keyTypes.group ? services.groups : services.txns).findCoordinator(key);
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
    if (ctx.apiVersion >= batchedKeysVersion) {
      const answers = await Promise.all(request.coordinatorKeys.map((key) => find(ctx.services, ctx.access, key, request.keyType, ctx.listener.name)));
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
    const answer = await find(ctx.services, ctx.access, request.key, request.keyType, ctx.listener.name);
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
