/**
 * ListOffsets (key 2), v0-5 (v0 answers with the old offsets array).
 * Timestamp -1: the latest offset (the high watermark: what a consumer can
 * read), -2: the log start offset, -3 (v7+ clients; accepted at any
 * version): the offset and timestamp of the record with the largest
 * timestamp; otherwise the first offset whose timestamp is >= the one asked,
 * or -1 when there is none.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { ListOffsetsRequest } from '../../protocol/generated/list-offsets-request.ts';
import type { ListOffsetsResponse } from '../../protocol/generated/list-offsets-response.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: 2,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const topics = await Promise.all(
      request.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map(async (p) => {
            const base = { partitionIndex: p.partitionIndex, oldStyleOffsets: [] as bigint[], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
            const partition = ctx.broker.replicas.leaderPartition(topic.name, p.partitionIndex);
            if ('errorCode' in partition) return { ...base, errorCode: partition.errorCode };
            const found = await partition.offsetFor(p.timestamp);
            const offsets = found.offset >= 0n ? [found.offset] : [];
            return { ...base, errorCode: ErrorCode.NONE, oldStyleOffsets: offsets, ...found };
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
});
