/**
 * AlterPartitionReassignments (key 45), v0: per partition, a target replica
 * list starts a reassignment and null cancels the one in progress (the
 * controller decides, see controller/reassignment.ts). A controller API:
 * brokers forward it to the active controller. Per-partition errors:
 * UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT (empty, repeated,
 * unregistered or fenced brokers), NO_REASSIGNMENT_IN_PROGRESS. The
 * response comes once the change is committed, not when the move is done.
 * Needs Alter on the cluster (CLUSTER_AUTHORIZATION_FAILED), checked where
 * the request arrives.
 */
import { authorizeCluster } from './authorize-items.ts';
import { AclOperation } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { AlterPartitionReassignmentsRequest } from '../../protocol/generated/alter-partition-reassignments-request.ts';
import type { AlterPartitionReassignmentsResponse } from '../../protocol/generated/alter-partition-reassignments-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  apiKey: ApiKeys.AlterPartitionReassignments,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 0,
  authorize(_request, ctx) {
    return authorizeCluster(ctx, AclOperation.ALTER, () => ({ throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, responses: [] }));
  },
  async handle(request, ctx) {
    const results = await ctx.services.controller.alterPartitionReassignments(
      request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, replicas: p.replicas })) })),
    );
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: results.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode, errorMessage: p.errorMessage })),
      })),
    };
  },
});
