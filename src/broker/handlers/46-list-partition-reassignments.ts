/**
 * ListPartitionReassignments (key 46), v0: the reassignments in progress
 * (replicas = the union of old and target, adding, removing) of the
 * partitions asked for, or of every partition when topics is null. Topics
 * and partitions that do not exist or are not moving are left out, as
 * Kafka does. Served by the active controller (forwarded), whose image is
 * the most recent committed state.
 * Needs Describe on the cluster (CLUSTER_AUTHORIZATION_FAILED), checked
 * where the request arrives.
 */
import { authorizeCluster } from './authorize-items.ts';
import { AclOperation } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ListPartitionReassignmentsRequest } from '../../protocol/generated/list-partition-reassignments-request.ts';
import type { ListPartitionReassignmentsResponse } from '../../protocol/generated/list-partition-reassignments-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  apiKey: ApiKeys.ListPartitionReassignments,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 0,
  authorize(_request, ctx) {
    return authorizeCluster(ctx, AclOperation.DESCRIBE, () => ({ throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, topics: [] }));
  },
  handle(request, ctx) {
    const ongoing = ctx.services.controller.listPartitionReassignments(request.topics?.map((t) => ({ name: t.name, partitions: t.partitionIndexes })) ?? null);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topics: ongoing.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partition,
          replicas: p.replicas,
          addingReplicas: p.addingReplicas,
          removingReplicas: p.removingReplicas,
        })),
      })),
    };
  },
});
