/**
 * DescribeQuorum (key 55), v0-2: the state of the metadata quorum
 * (`__cluster_metadata` partition 0) as its leader sees it: leader id and
 * epoch, high watermark, and per voter and observer its log end offset and
 * the leader's wall-clock times of its last fetch and of when it was last
 * caught up (v1+; -1 unknown). v2 adds the voters' addresses (from
 * --voters: their peer listeners) under the one listener name "PLAINTEXT",
 * and zero directory ids.
 *
 * As in Kafka, a node that is not the leader answers NOT_LEADER_OR_FOLLOWER
 * on the partition (with the leader id and epoch it knows, so a client can
 * ask the leader), and a request for any other topic or partition, or for
 * more than that one, gets UNKNOWN_TOPIC_OR_PARTITION on each partition.
 * Needs Describe on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { authorizeCluster } from './authorize-items.ts';
import { AclOperation } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { metadataTopic } from '../../controller/raft/wire.ts';
import type { ReplicaDescription } from '../../controller/raft/leader-state.ts';
import type { DescribeQuorumRequest } from '../../protocol/generated/describe-quorum-request.ts';
import type { DescribeQuorumResponse, ReplicaState } from '../../protocol/generated/describe-quorum-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { zeroUuid } from '../../protocol/well-known.ts';

const listenerName = 'PLAINTEXT';

export default defineHandler<DescribeQuorumRequest, DescribeQuorumResponse>({
  apiKey: ApiKeys.DescribeQuorum,
  minVersion: 0,
  maxVersion: 2,
  authorize(_request, ctx) {
    return authorizeCluster(ctx, AclOperation.DESCRIBE, () => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, topics: [], nodes: [] }));
  },
  handle(request, ctx) {
    const onlyTopic = request.topics.length === 1 ? request.topics[0] : undefined;
    const valid = onlyTopic?.topicName === metadataTopic.name && onlyTopic.partitions.length === 1 && onlyTopic.partitions[0].partitionIndex === 0;
    if (!valid) {
      const unknown = (partitionIndex: number) => ({ ...noPartitionState(partitionIndex), errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      const topics = request.topics.map((t) => ({ topicName: t.topicName, partitions: t.partitions.map((p) => unknown(p.partitionIndex)) }));
      return { errorCode: ErrorCode.NONE, errorMessage: null, topics, nodes: [] };
    }

    const quorum = ctx.services.quorum;
    const described = quorum.describe();
    const replicas = [...described.currentVoters, ...described.observers];
    const nodes =
      described.errorCode === ErrorCode.NONE
        ? replicas.flatMap((r) => {
            const address = quorum.voterAddress(r.replicaId);
            return address ? [{ nodeId: r.replicaId, listeners: [{ name: listenerName, host: address.host, port: address.port }] }] : [];
          })
        : [];
    const partition = {
      ...noPartitionState(0),
      errorCode: described.errorCode,
      leaderId: described.leaderId,
      leaderEpoch: described.leaderEpoch,
      highWatermark: BigInt(described.highWatermark),
      currentVoters: described.currentVoters.map(replicaState),
      observers: described.observers.map(replicaState),
    };
    return { errorCode: ErrorCode.NONE, errorMessage: null, topics: [{ topicName: metadataTopic.name, partitions: [partition] }], nodes };
  },
});

function noPartitionState(partitionIndex: number) {
  return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, leaderId: -1, leaderEpoch: -1, highWatermark: -1n, currentVoters: [], observers: [] };
}

function replicaState(r: ReplicaDescription): ReplicaState {
  return {
    replicaId: r.replicaId,
    replicaDirectoryId: zeroUuid,
    logEndOffset: BigInt(r.logEndOffset),
    lastFetchTimestamp: BigInt(r.lastFetchTimestamp),
    lastCaughtUpTimestamp: BigInt(r.lastCaughtUpTimestamp),
  };
}
