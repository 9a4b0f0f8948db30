/**
 * DescribeLogDirs (key 35), v0-4: kb has one log directory per broker; the
 * answer lists it with the size in bytes of every partition log this broker
 * holds (leader or follower) among the topics asked (all when null), and
 * from v4 the total and usable bytes of its volume. offsetLag is how far the
 * log end is behind the high watermark (0 on a leader). Partitions this
 * broker does not hold are left out, as Kafka does.
 * Needs Describe on the cluster (CLUSTER_AUTHORIZATION_FAILED from v3; no
 * log dirs before).
 */
import { authorizeCluster } from './authorize-items.ts';
import { AclOperation } from '../../protocol/acl.ts';
import { statfs } from 'node:fs/promises';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeLogDirsRequest } from '../../protocol/generated/describe-log-dirs-request.ts';
import type { DescribeLogDirsResponse, DescribeLogDirsTopic } from '../../protocol/generated/describe-log-dirs-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  apiKey: ApiKeys.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  authorize(_request, ctx) {
    return authorizeCluster(ctx, AclOperation.DESCRIBE, () => ({ throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] }));
  },
  async handle(request, ctx) {
    const wanted = request.topics === null ? null : new Map(request.topics.map((t) => [t.topic, new Set(t.partitions)]));
    const topics = new Map<string, DescribeLogDirsTopic>();
    for (const partition of ctx.services.replicas.hostedPartitions()) {
      if (wanted && !wanted.get(partition.topic)?.has(partition.index)) continue;
      const topic = topics.get(partition.topic) ?? { name: partition.topic, partitions: [] };
      topics.set(partition.topic, topic);
      const lag = partition.log.highWatermark - partition.log.logEndOffset;
      topic.partitions.push({ partitionIndex: partition.index, partitionSize: BigInt(partition.log.sizeBytes), offsetLag: lag > 0n ? lag : 0n, isFutureKey: false });
    }
    const logDir = ctx.services.replicas.logsDir;
    const volume = await statfs(logDir, { bigint: true });
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [
        {
          errorCode: ErrorCode.NONE,
          logDir,
          topics: [...topics.values()],
          totalBytes: volume.blocks * volume.bsize,
          usableBytes: volume.bavail * volume.bsize,
        },
      ],
    };
  },
});
