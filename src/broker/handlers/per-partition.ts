/**
 * The shape several partition-level APIs share (ListOffsets, DeleteRecords):
 * topics by name, each with partitions by `partitionIndex`. Runs `answer`
 * for every partition this broker leads, `unavailable` with the Kafka error
 * for the others, keeping the request's topic and partition order.
 */
import type { ReplicaService } from './handler.ts';
import type { Partition } from '../replica/partition.ts';

interface TopicPartitions<P extends { partitionIndex: number }> {
  name: string;
  partitions: P[];
}

export function forEachLeaderPartition<P extends { partitionIndex: number }, R>(
  replicas: ReplicaService,
  topics: TopicPartitions<P>[],
  unavailable: (p: P, errorCode: number) => R,
  answer: (partition: Partition, p: P) => Promise<R>,
): Promise<{ name: string; partitions: R[] }[]> {
  return Promise.all(
    topics.map(async (topic) => ({
      name: topic.name,
      partitions: await Promise.all(
        topic.partitions.map((p) => {
          const partition = replicas.leaderPartition(topic.name, p.partitionIndex);
          return 'errorCode' in partition ? unavailable(p, partition.errorCode) : answer(partition, p);
        }),
      ),
    })),
  );
}
