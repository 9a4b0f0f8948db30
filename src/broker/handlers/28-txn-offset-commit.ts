/**
 * TxnOffsetCommit (key 28), v0-3: offsets committed inside the producer's
 * transaction, at the group's coordinator (group/coordinator.ts): written
 * now, counted once the transaction commits. v3 names the member and
 * generation (KIP-447), checked against the group; v0-2 name none.
 * Needs Write on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
 * and Read on the group (GROUP_AUTHORIZATION_FAILED) for every partition,
 * and Read on each topic (TOPIC_AUTHORIZATION_FAILED for its partitions).
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
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
    const refusal = !ctx.access.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)
      ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : !ctx.access.allows(AclOperation.READ, ResourceType.GROUP, request.groupId)
        ? ErrorCode.GROUP_AUTHORIZATION_FAILED
        : null;
    if (refusal !== null) {
      return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: refusal })) })) };
    }
    const readable = new Set(request.topics.filter((t) => ctx.access.allows(AclOperation.READ, ResourceType.TOPIC, t.name)).map((t) => t.name));
    const offsets = request.topics.filter((t) => readable.has(t.name)).flatMap((t) =>
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
    const errorOf = (topic: string) => (readable.has(topic) ? fencedError(errors[i++], ctx.apiVersion, producerFencedVersion) : ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errorOf(t.name) })),
      })),
    };
  },
});
