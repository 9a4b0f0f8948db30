/**
 * DeleteRecords (key 21), v0-2: moves a partition's log start offset up to
 * the given offset (-1: the high watermark), so earlier records are no longer
 * served; whole segments below it are deleted. An offset beyond the high
 * watermark is OFFSET_OUT_OF_RANGE. Answers with the new low watermark.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { DeleteRecordsRequest } from '../../protocol/generated/delete-records-request.ts';
import type { DeleteRecordsResponse } from '../../protocol/generated/delete-records-response.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  apiKey: 21,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const topics = await Promise.all(
      request.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map(async (p) => {
            const partition = ctx.broker.replicas.leaderPartition(topic.name, p.partitionIndex);
            if ('errorCode' in partition) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: partition.errorCode };
            const result = await partition.deleteRecordsBefore(p.offset);
            return { partitionIndex: p.partitionIndex, ...result };
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
});
