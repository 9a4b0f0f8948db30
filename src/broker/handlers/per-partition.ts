/**
 * The shape several partition-level APIs share (ListOffsets, DeleteRecords):
 * topics by name, each with partitions by `partitionIndex`. Runs `answer`
 * for every partition this broker leads of a topic the caller may do
 * `operation` on, `unavailable` with the Kafka error for the others
 * (TOPIC_AUTHORIZATION_FAILED, NOT_LEADER_OR_FOLLOWER, ...), keeping the
 * request's topic and partition order.
 */
import type { ReplicaService } from './handler.ts';
import type { ConnectionAccess } from '../auth/access-control.ts';
import { ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { Partition } from '../replica/partition.ts';

interface TopicPartitions<P extends { partitionIndex: number }> {
  name: string;
  partitions: P[];
}

export function forEachLeaderPartition<P extends { partitionIndex: number }, R>(
  replicas: ReplicaService,
  access: { access: ConnectionAccess; operation: number },
  topics: TopicPartitions<P>[],
  unavailable: (p: P, errorCode: number) => R,
  answer: (partition: Partition, p: P) => Promise<R>,
): Promise<{ name: string; partitions: R[] }[]> {
  return Promise.all(
    topics.map(async (topic) => ({
      name: topic.name,
      partitions: await Promise.all(
        topic.partitions.map((p) => {
          if (!access.access.allows(access.operation, ResourceType.TOPIC, topic.name)) return unavailable(p, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          const partition = replicas.leaderPartition(topic.name, p.partitionIndex);
          return 'errorCode' in partition ? unavailable(p, partition.errorCode) : answer(partition, p);
        }),
      ),
    })),
  );
}
