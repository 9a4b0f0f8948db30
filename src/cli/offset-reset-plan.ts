/**
 * Planning a consumer group's offset reset, as `kb group reset-offsets`
 * does, shared with `kb console`: for each selected topic (all its
 * partitions, or those listed; no selection: every partition the group,
 * or the --from-file offsets, name) the committed offset now and the new
 * one: an offset spec resolved per partition (cli/offset-spec.ts), the
 * committed offset shifted by N, or the given offsets, each clamped into
 * the partition's log as Kafka's tool does. Refused (UserError) while the
 * group has members: the offsets of a running group are its consumers' to
 * move. Nothing is committed here.
 */
import type { Cluster } from '../client/cluster.ts';
import { knownTopic, noSuchPartition } from '../client/known-topic.ts';
import { GroupAdmin, type GroupOffset } from '../client/groups.ts';
import { UsageError, UserError } from './kb-command.ts';
import { clampToLog, resolveOffsetSpec, type OffsetSpec } from './offset-spec.ts';

export type ResetTarget = OffsetSpec | { kind: 'shift'; by: bigint } | { kind: 'file'; offsets: GroupOffset[] };

/** A topic to reset: all its partitions (null) or those listed. */
export interface ResetSelection {
  topic: string;
  partitions: number[] | null;
}

export interface PlannedPartition {
  topic: string;
  partition: number;
  currentOffset: number | null;
  newOffset: number;
}

/** Parses `T` or `T:P,Q,...`; a bad one is a UsageError. */
export function parseResetSelection(text: string): ResetSelection {
  const match = /^([^:]+)(?::(\d+(?:,\d+)*))?$/.exec(text);
  if (!match) throw new UsageError(`--topic ${text}: expected TOPIC or TOPIC:PARTITION,PARTITION,...`);
  return { topic: match[1], partitions: match[2] === undefined ? null : [...new Set(match[2].split(',').map(Number))] };
}

/** The plan for `groupId`: `selections` null means the partitions the group (or the file) has offsets of. */
export async function planOffsetReset(cluster: Cluster, groupId: string, selections: ResetSelection[] | null, target: ResetTarget): Promise<PlannedPartition[]> {
  const admin = new GroupAdmin(cluster);
  const group = await admin.describeGroup(groupId);
  if (group.state !== 'Empty' && group.state !== 'Dead') {
    throw new UserError(`group '${groupId}' is ${group.state} with ${group.members.length} active member(s): stop its consumers first, offsets can only be reset while the group is empty`);
  }
  const committed = await admin.committedOffsets(groupId);
  const current = (topic: string, partition: number) => committed.find((c) => c.topic === topic && c.partition === partition)?.offset ?? null;
  const chosen = selections ?? selectionsOf(target.kind === 'file' ? target.offsets : committed);
  if (chosen.length === 0) throw new UserError(`group '${groupId}' has no committed offsets: name the topics with --topic`);
  const partitions: PlannedPartition[] = [];
  for (const selection of chosen) partitions.push(...(await plan(cluster, selection, target, (p) => current(selection.topic, p))));
  return partitions;
}

function selectionsOf(offsets: GroupOffset[]): ResetSelection[] {
  return [...new Set(offsets.map((o) => o.topic))].map((topic) => ({ topic, partitions: offsets.filter((o) => o.topic === topic).map((o) => o.partition) }));
}

async function plan(cluster: Cluster, { topic, partitions }: ResetSelection, target: ResetTarget, current: (partition: number) => bigint | null): Promise<PlannedPartition[]> {
  const metadata = knownTopic(await cluster.refreshMetadata([topic]), topic);
  if (!metadata) throw new UserError(`topic '${topic}' does not exist`);
  const count = metadata.partitions.length;
  const missing = partitions?.find((p) => p >= count);
  if (missing !== undefined) throw new UserError(noSuchPartition(topic, missing, count));
  const indexes = partitions ?? metadata.partitions.map((p) => p.partition);
  let offsets: Map<number, bigint>;
  if (target.kind === 'shift') offsets = await clampToLog(cluster, topic, shifted(topic, indexes, target.by, current));
  else if (target.kind === 'file') offsets = await clampToLog(cluster, topic, new Map(target.offsets.filter((o) => o.topic === topic).map((o) => [o.partition, o.offset])));
  else offsets = await resolveOffsetSpec(cluster, topic, indexes, target);
  return indexes.map((partition) => {
    const committed = current(partition);
    return { topic, partition, currentOffset: committed === null ? null : Number(committed), newOffset: Number(offsets.get(partition)!) };
  });
}

/** Each partition's committed offset moved by `by`; a partition without one is an error. */
function shifted(topic: string, partitions: number[], by: bigint, current: (partition: number) => bigint | null): Map<number, bigint> {
  return new Map(
    partitions.map((partition) => {
      const committed = current(partition);
      if (committed === null) throw new UserError(`group has no committed offset for ${topic}/${partition} to shift: use --to first`);
      return [partition, committed + by];
    }),
  );
}
