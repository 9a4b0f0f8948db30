/**
 * FindCoordinator (key 10), v0-4: the broker that coordinates a group (key
 * type 0): the leader of the group's partition of __consumer_offsets, which
 * is created on the first request. COORDINATOR_NOT_AVAILABLE while that
 * partition has no leader or is still loading. v4 batches keys
 * (`coordinatorKeys`, one result each); v0-3 answer one key. kb has no
 * transaction coordinator: other key types get INVALID_REQUEST.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { FindCoordinatorRequest } from '../../protocol/generated/find-coordinator-request.ts';
import type { FindCoordinatorResponse } from '../../protocol/generated/find-coordinator-response.ts';
import type { CoordinatorAnswer } from '../group/coordinator.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler, type GroupService } from './handler.ts';

const groupKeyType = 0;
const batchedKeysVersion = 4;

function find(groups: GroupService, key: string, keyType: number): Promise<CoordinatorAnswer> {
  if (keyType !== groupKeyType) {
    return Promise.resolve({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `kb coordinates consumer groups only (key type 0), not key type ${keyType}`, node: null });
  }
  return groups.findCoordinator(key);
}

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: ApiKeys.FindCoordinator,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const groups = ctx.services.groups;
    if (ctx.apiVersion >= batchedKeysVersion) {
      const answers = await Promise.all(request.coordinatorKeys.map((key) => find(groups, key, request.keyType)));
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
    const answer = await find(groups, request.key, request.keyType);
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
