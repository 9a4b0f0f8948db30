/**
 * WriteTxnMarkers (key 27), v0-1: the transaction coordinator asks the
 * leaders of a transaction's partitions to end it there. Per marker and
 * partition, the leader appends a control batch (COMMIT or ABORT, with the
 * coordinator epoch; Partition.appendMarker) after the producer's earlier
 * appends and answers once the in-sync replicas have it (acks=all, within
 * txnMarkerReplicationTimeoutMs, else REQUEST_TIMED_OUT), or with the
 * append's error: NOT_LEADER_OR_FOLLOWER / UNKNOWN_TOPIC_OR_PARTITION (not
 * here: the coordinator looks up the leader again), NOT_ENOUGH_REPLICAS,
 * INVALID_PRODUCER_EPOCH (a marker older than the producer's epoch),
 * TRANSACTION_COORDINATOR_FENCED (older than the last marker's coordinator
 * epoch). A marker on a __consumer_offsets partition is written the same
 * way; once replicated, the group coordinator completes or drops the
 * producer's offsets there (GroupCoordinator.completeTxn).
 *
 * From a kb node (a peer listener, the coordinator's own request) any
 * marker is written. From a client (a client listener) only ABORT markers,
 * as Kafka's Admin.abortTransaction sends (kafka-transactions.sh abort,
 * `kb txn abort --topic`: a hanging transaction whose coordinator state is
 * gone), and only with ClusterAction on the cluster (Kafka's rule; allowed
 * to everyone without an authorizer, as Kafka); a COMMIT marker, or a
 * principal without ClusterAction, gets CLUSTER_AUTHORIZATION_FAILED for
 * every partition, and so does a request on a peer listener that is not a
 * kb node's own (controller-channel.ts callerOf).
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { WriteTxnMarkersRequest, WritableTxnMarker } from '../../protocol/generated/write-txn-markers-request.ts';
import type { WritableTxnMarkerResult, WriteTxnMarkersResponse } from '../../protocol/generated/write-txn-markers-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler, type GroupService, type ReplicaService } from './handler.ts';
import { consumerOffsetsTopic } from '../group/coordinator.ts';
import { callerOf } from '../controller-channel.ts';
import { txnMarkerReplicationTimeoutMs } from '../../limits.ts';
import { AclOperation, clusterResourceName, ResourceType } from '../../protocol/acl.ts';

function refuseAll(request: WriteTxnMarkersRequest): WriteTxnMarkersResponse {
  return {
    markers: request.markers.map((m) => ({
      producerId: m.producerId,
      topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })) })),
    })),
  };
}

export default defineHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>({
  apiKey: ApiKeys.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    if (ctx.listener.peer && !callerOf(ctx).node) {
      ctx.services.peerAuth.logRefusal(`refusing WriteTxnMarkers from ${ctx.clientAddress}: not a kb node's own request`);
      return refuseAll(request);
    }
    if (!ctx.listener.peer && (request.markers.some((m) => m.transactionResult) || !ctx.access.allows(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, clusterResourceName))) {
      return refuseAll(request);
    }
    return { markers: await Promise.all(request.markers.map((m) => writeMarker(ctx.services.replicas, ctx.services.groups, m))) };
  },
});

async function writeMarker(replicas: ReplicaService, groups: GroupService, marker: WritableTxnMarker): Promise<WritableTxnMarkerResult> {
  const { producerId, producerEpoch, coordinatorEpoch, transactionResult: commit } = marker;
  return {
    producerId,
    topics: await Promise.all(
      marker.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitionIndexes.map(async (partitionIndex) => {
            const partition = replicas.leaderPartition(topic.name, partitionIndex);
            if ('errorCode' in partition) return { partitionIndex, errorCode: partition.errorCode };
            const appended = await partition.appendMarker({ producerId, producerEpoch, coordinatorEpoch, commit });
            if (appended.errorCode !== ErrorCode.NONE) return { partitionIndex, errorCode: appended.errorCode };
            const replicated = await partition.waitForReplication(appended, txnMarkerReplicationTimeoutMs);
            if (replicated.errorCode === ErrorCode.NONE && topic.name === consumerOffsetsTopic) groups.completeTxn(partitionIndex, producerId, commit);
            return { partitionIndex, errorCode: replicated.errorCode };
          }),
        ),
      })),
    ),
  };
}
