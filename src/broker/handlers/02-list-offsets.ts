/**
 * ListOffsets (key 2), v0-5 (v0 answers with the old offsets array).
 * Timestamp -1: the latest offset (the high watermark: what a consumer can
 * read), -2: the log start offset, -3 (v7+ clients; accepted at any
 * version): the offset and timestamp of the record with the largest
 * timestamp; otherwise the first offset whose timestamp is >= the one asked,
 * or -1 when there is none. In read_committed (isolation_level 1, v2+)
 * the last stable offset takes the high watermark's place: latest is the
 * last stable offset and no offset at or past it is answered. Needs
 * Describe on the topic (TOPIC_AUTHORIZATION_FAILED; auth/api-operations.ts).
 */
import { AclOperation } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ListOffsetsRequest } from '../../protocol/generated/list-offsets-request.ts';
import type { ListOffsetsResponse } from '../../protocol/generated/list-offsets-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { forEachLeaderPartition } from './per-partition.ts';

/** ListOffsets' isolation_level (v2+): 0 read_uncommitted, 1 read_committed. */
const readCommittedLevel = 1;

export default defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: ApiKeys.ListOffsets,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const base = (partitionIndex: number) => ({ partitionIndex, oldStyleOffsets: [] as bigint[], timestamp: -1n, offset: -1n, leaderEpoch: -1 });
    const topics = await forEachLeaderPartition(
      ctx.services.replicas,
      { access: ctx.access, operation: AclOperation.DESCRIBE },
      request.topics,
      (p, errorCode) => ({ ...base(p.partitionIndex), errorCode }),
      async (partition, p) => {
        const found = await partition.offsetFor(p.timestamp, ctx.apiVersion >= 2 && request.isolationLevel === readCommittedLevel);
        return { ...base(p.partitionIndex), errorCode: ErrorCode.NONE, oldStyleOffsets: found.offset >= 0n ? [found.offset] : [], ...found };
      },
    );
    return { throttleTimeMs: 0, topics };
  },
});
