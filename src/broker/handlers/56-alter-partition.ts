/**
 * AlterPartition (key 56), v0-3, served by the active controller: ISR
 * changes asked for by partition leaders. Topics are named (v0-1) or given
 * by id (v2+); v3 names each new ISR member with the broker epoch the
 * leader saw. Per partition the answer is an error code
 * (FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, INVALID_UPDATE_VERSION,
 * INVALID_REQUEST, INELIGIBLE_REPLICA, UNKNOWN_TOPIC_ID/_OR_PARTITION) or
 * the partition's resulting leader, epochs and ISR; a sender that is not at
 * its current broker epoch gets STALE_BROKER_EPOCH for the whole request,
 * one whose connection is not broker brokerId's own (controller-channel.ts
 * actsAs) CLUSTER_AUTHORIZATION_FAILED. A peer API: on a client listener
 * the answer is CLUSTER_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { AlterPartitionRequest } from '../../protocol/generated/alter-partition-request.ts';
import type { AlterPartitionResponse } from '../../protocol/generated/alter-partition-response.ts';
import type { PartitionIsrChange } from '../../controller/controller.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { actsAs } from '../controller-channel.ts';

const byIdFromVersion = 2;
const isrWithEpochsFromVersion = 3;

const errorAnswer = (errorCode: number): AlterPartitionResponse => ({ throttleTimeMs: 0, errorCode, topics: [] });

export default defineHandler<AlterPartitionRequest, AlterPartitionResponse>({
  apiKey: ApiKeys.AlterPartition,
  forwardToController: true,
  peerOnly: true,
  clientRefusal: () => errorAnswer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED),
  errorAnswer,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    if (!actsAs(ctx, request.brokerId, 'AlterPartition')) return errorAnswer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const byId = ctx.apiVersion >= byIdFromVersion;
    const changes: PartitionIsrChange[] = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: byId ? { id: t.topicId.toString('hex') } : { name: t.topicName },
        partition: p.partitionIndex,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        newIsr:
          ctx.apiVersion >= isrWithEpochsFromVersion
            ? p.newIsrWithEpochs.map((m) => ({ brokerId: m.brokerId, brokerEpoch: Number(m.brokerEpoch) }))
            : p.newIsr.map((brokerId) => ({ brokerId, brokerEpoch: -1 })),
      })),
    );
    const outcome = await ctx.services.controller.alterPartition(request.brokerId, Number(request.brokerEpoch), changes);
    if (outcome.errorCode !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: outcome.errorCode, topics: [] };
    let next = 0;
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      topics: request.topics.map((t) => ({
        topicName: t.topicName,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          const { errorCode, state } = outcome.results[next++];
          return {
            partitionIndex: p.partitionIndex,
            errorCode,
            leaderId: state?.leader ?? -1,
            leaderEpoch: state?.leaderEpoch ?? -1,
            isr: state?.isr ?? [],
            leaderRecoveryState: 0,
            partitionEpoch: state?.partitionEpoch ?? -1,
          };
        }),
      })),
    };
  },
});
