/**
 * DeleteRecords (key 21), v0-2: moves a partition's log start offset up to
 * the given offset (-1: the high watermark), so earlier records are no longer
 * served; whole segments below it are deleted. An offset beyond the high
 * watermark is OFFSET_OUT_OF_RANGE; an internal topic's records cannot be
 * deleted (INVALID_TOPIC_EXCEPTION, as Kafka). Answers with the new low watermark.
 * Needs Delete on the topic (TOPIC_AUTHORIZATION_FAILED).
 */
import { AclOperation } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DeleteRecordsRequest } from '../../protocol/generated/delete-records-request.ts';
import type { DeleteRecordsResponse } from '../../protocol/generated/delete-records-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { forEachLeaderPartition } from './per-partition.ts';

export default defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  apiKey: ApiKeys.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const topics = await forEachLeaderPartition(
      ctx.services.replicas,
      { access: ctx.access, operation: AclOperation.DELETE },
      request.topics,
      (p, errorCode) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode }),
      async (partition, p) =>
        ctx.services.node.isInternalTopic(partition.topic)
          ? { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION }
          : { partitionIndex: p.partitionIndex, ...(await partition.deleteRecordsBefore(p.offset)) },
    );
    return { throttleTimeMs: 0, topics };
  },
});
