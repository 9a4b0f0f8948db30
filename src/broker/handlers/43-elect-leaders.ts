/**
 * ElectLeaders (key 43), v0-2, a controller API (forwarded to the active
 * controller): preferred (election type 0; the only one before v1) or
 * unclean (1) leader elections for the named partitions, or for every
 * partition when the list is null (then partitions that needed no election
 * are left out, as Kafka does). Per partition: NONE once the new leadership
 * is committed, ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE,
 * ELIGIBLE_LEADERS_NOT_AVAILABLE or UNKNOWN_TOPIC_OR_PARTITION. Any other
 * election type is INVALID_REQUEST (top level from v1, and per partition).
 * Needs Alter on the cluster (CLUSTER_AUTHORIZATION_FAILED), checked where
 * the request arrives.
 */
import { authorizeCluster } from './authorize-items.ts';
import { AclOperation } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { electionTypes, type ElectionType } from '../../controller/leader-election.ts';
import type { ElectLeadersRequest } from '../../protocol/generated/elect-leaders-request.ts';
import type { ElectLeadersResponse } from '../../protocol/generated/elect-leaders-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  apiKey: ApiKeys.ElectLeaders,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 2,
  authorize(request, ctx) {
    return authorizeCluster(ctx, AclOperation.ALTER, () => ({
      throttleTimeMs: 0,
      errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      replicaElectionResults: (request.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) })),
    }));
  },
  async handle(request, ctx) {
    const wireType = ctx.apiVersion === 0 ? electionTypes.preferred : request.electionType;
    const type = (Object.keys(electionTypes) as ElectionType[]).find((name) => electionTypes[name] === wireType);
    if (type === undefined) {
      const errorMessage = `unknown election type ${wireType}: 0 (preferred) or 1 (unclean)`;
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.INVALID_REQUEST,
        replicaElectionResults: (request.topicPartitions ?? []).map((t) => ({
          topic: t.topic,
          partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage })),
        })),
      };
    }
    const results = await ctx.services.controller.electLeaders(
      type,
      request.topicPartitions?.map((t) => ({ topic: t.topic, partitions: t.partitions })) ?? null,
    );
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      replicaElectionResults: results.map((r) => ({
        topic: r.topic,
        partitionResult: r.partitions.map((p) => ({ partitionId: p.partition, errorCode: p.errorCode, errorMessage: p.errorMessage })),
      })),
    };
  },
});
