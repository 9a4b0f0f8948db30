/**
 * Replication status of partitions, from Metadata and each topic's
 * min.insync.replicas, as kafka-topics --describe reports it. Pure. Per
 * partition: under-replicated (ISR smaller than the replica list),
 * under min ISR (ISR smaller than min.insync.replicas), at min ISR (ISR
 * exactly min.insync.replicas), offline (no live leader: Metadata answers
 * leader -1 for a leader that is none or not live); missing replicas are
 * the replicas not in the ISR, offline replicas those on brokers that are
 * not live (fenced or unregistered).
 */
import type { TopicInfo } from './cluster.ts';

export interface PartitionStatus {
  topic: string;
  partition: number;
  /** -1: no live leader. */
  leader: number;
  replicas: number[];
  isr: number[];
  missingReplicas: number[];
  offlineReplicas: number[];
  minIsr: number;
  underReplicated: boolean;
  underMinIsr: boolean;
  atMinIsr: boolean;
  offline: boolean;
}

export const statusFilters = ['underReplicated', 'underMinIsr', 'atMinIsr', 'offline'] as const;
export type StatusFilter = (typeof statusFilters)[number];

/** Every partition of `topics` (sorted by topic, then partition) with its status; a topic missing from `minIsr` counts as 1. */
export function partitionStatuses(topics: Iterable<TopicInfo>, minIsr: ReadonlyMap<string, number>): PartitionStatus[] {
  const rows: PartitionStatus[] = [];
  for (const topic of [...topics].sort((a, b) => a.name.localeCompare(b.name))) {
    const min = minIsr.get(topic.name) ?? 1;
    for (const p of topic.partitions) {
      rows.push({
        topic: topic.name,
        partition: p.partition,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
        missingReplicas: p.replicas.filter((id) => !p.isr.includes(id)),
        offlineReplicas: p.offline,
        minIsr: min,
        underReplicated: p.isr.length < p.replicas.length,
        underMinIsr: p.isr.length < min,
        atMinIsr: p.isr.length === min,
        offline: p.leader < 0,
      });
    }
  }
  return rows;
}

/** The partitions matching any of `filters` (all of them when none is given), like kafka-topics' filters. */
export function filterStatuses(rows: readonly PartitionStatus[], filters: readonly StatusFilter[]): PartitionStatus[] {
  return filters.length === 0 ? [...rows] : rows.filter((row) => filters.some((f) => row[f]));
}

/** "topic-partition", as Kafka names a partition. */
export function partitionName(row: { topic: string; partition: number }): string {
  return `${row.topic}-${row.partition}`;
}
