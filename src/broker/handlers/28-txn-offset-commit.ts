/**
 * TxnOffsetCommit (key 28), v0-3: offsets committed inside the producer's
 * transaction, at the group's coordinator (group/coordinator.ts): written
 * now, counted once the transaction commits. v3 names the member and
 * generation (KIP-447), checked against the group; v0-2 name none.
 */
import type { TxnOffsetCommitRequest } from '../../protocol/generated/txn-offset-commit-request.ts';
import type { TxnOffsetCommitResponse } from '../../protocol/generated/txn-offset-commit-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { fencedError } from './txn-errors.ts';

const producerFencedVersion = 2;

export default defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  apiKey: ApiKeys.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    const offsets = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch,
        metadata: p.committedMetadata,
        commitTimestampMs: -1,
      })),
    );
    const errors = await ctx.services.groups.commitTxnOffsets({
      groupId: request.groupId,
      memberId: request.memberId,
      generationId: request.generationId,
      groupInstanceId: request.groupInstanceId,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      offsets,
    });
    let i = 0;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: fencedError(errors[i++], ctx.apiVersion, producerFencedVersion) })),
      })),
    };
  },
});
