/**
 * `kb group reset-offsets GROUP --topic T (--to SPEC | --shift-by N)`:
 * moves the group's committed offsets for every partition of the topic.
 * SPEC is an offset spec as `kb consume -o` takes (cli/offset-spec.ts:
 * earliest, latest, N, -N, @TIMESTAMP as ms, an ISO-8601 date or @-10m).
 * --shift-by moves each committed offset by N (partitions without a commit
 * are an error). Targets are clamped to the partition's log start and end,
 * as Kafka's tool does.
 *
 * It shows the plan (the offsets table) first; by default (--dry-run)
 * nothing more, with --execute it then asks (or takes --yes) and commits it.
 * Refused while the group has members: the offsets of a running group are
 * its consumers' to move.
 */
import { Args, Flags } from '@oclif/core';
import type { Cluster } from '../../client/cluster.ts';
import { knownTopic } from '../../client/known-topic.ts';
import { GroupAdmin } from '../../client/groups.ts';
import { KbCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { confirmDestructive } from '../../cli/prompts.ts';
import { renderTable } from '../../cli/output.ts';
import { clampToLog, offsetSpecForms, parseOffsetSpec, resolveOffsetSpec, type OffsetSpec } from '../../cli/offset-spec.ts';

type Target = OffsetSpec | { kind: 'shift'; by: bigint };

interface PlannedPartition {
  topic: string;
  partition: number;
  currentOffset: number | null;
  newOffset: number;
}

/** Parses --to; a bad one is a UsageError naming the accepted forms. */
export function parseResetTarget(spec: string, now = Date.now()): OffsetSpec {
  try {
    return parseOffsetSpec(spec, now);
  } catch {
    throw new UsageError(`--to ${spec}: ${offsetSpecForms}`);
  }
}

export default class GroupResetOffsets extends KbCommand {
  static override description = "Reset a consumer group's committed offsets for a topic (shows the plan unless --execute)";
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> group reset-offsets billing --topic orders --to earliest',
    '<%= config.bin %> group reset-offsets billing --topic orders --to @2024-05-01T00:00:00Z --execute',
    '<%= config.bin %> group reset-offsets billing --topic orders --shift-by -100 --execute',
  ];
  static override args = { group: Args.string({ description: 'group id', required: true }) };
  static override flags = {
    topic: Flags.string({ char: 't', description: 'topic whose partitions to reset', required: true }),
    to: Flags.string({ description: 'earliest | latest | N | -N | @TIMESTAMP (ms, ISO-8601 or -10m)', exclusive: ['shift-by'] }),
    'shift-by': Flags.string({ description: 'move each committed offset by N (negative: back)', exclusive: ['to'] }),
    'dry-run': Flags.boolean({ description: 'only show the plan (the default)', exclusive: ['execute'] }),
    execute: Flags.boolean({ description: 'commit the new offsets', exclusive: ['dry-run'] }),
    yes: Flags.boolean({ char: 'y', description: 'with --execute: do not ask for the group id typed back', default: false }),
  };

  async run(): Promise<{ group: string; topic: string; executed: boolean; partitions: PlannedPartition[] }> {
    const { args, flags } = await this.parse(GroupResetOffsets);
    const target = this.target(flags.to, flags['shift-by']);
    const execute = flags.execute === true;
    const cluster = await this.cluster();
    const admin = new GroupAdmin(cluster);
    const group = await admin.describeGroup(args.group);
    if (group.state !== 'Empty' && group.state !== 'Dead') {
      throw new UserError(
        `group '${args.group}' is ${group.state} with ${group.members.length} active member(s): stop its consumers first, offsets can only be reset while the group is empty`,
      );
    }
    const committed = await admin.committedOffsets(args.group);
    const partitions = await plan(cluster, flags.topic, target, (p) => committed.find((c) => c.topic === flags.topic && c.partition === p)?.offset ?? null);
    // The plan first, so the question is asked about offsets the user can see.
    this.log(renderTable(['TOPIC', 'PARTITION', 'CURRENT', 'NEW'], partitions.map((p) => [p.topic, p.partition, p.currentOffset, p.newOffset])));
    if (execute) {
      await confirmDestructive({ yes: flags.yes, expected: args.group, action: `Resetting the committed offsets of group ${args.group} on ${flags.topic}` });
      await admin.commitOffsets(args.group, partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: BigInt(p.newOffset) })));
    }
    this.log(execute ? `\nreset the offsets of group ${args.group}` : '\ndry run: nothing changed; add --execute to commit these offsets');
    return { group: args.group, topic: flags.topic, executed: execute, partitions };
  }

  private target(to: string | undefined, shiftBy: string | undefined): Target {
    if (to === undefined && shiftBy === undefined) throw new UsageError('say where to: --to earliest|latest|N|-N|@TIMESTAMP or --shift-by N');
    if (to !== undefined) return parseResetTarget(to);
    if (!/^-?\d+$/.test(shiftBy!)) throw new UsageError(`--shift-by ${shiftBy}: expected a whole number`);
    return { kind: 'shift', by: BigInt(shiftBy!) };
  }
}

async function plan(cluster: Cluster, topic: string, target: Target, current: (partition: number) => bigint | null): Promise<PlannedPartition[]> {
  const metadata = knownTopic(await cluster.refreshMetadata([topic]), topic);
  if (!metadata) throw new UserError(`topic '${topic}' does not exist`);
  const indexes = metadata.partitions.map((p) => p.partition);
  const offsets = target.kind === 'shift' ? await clampToLog(cluster, topic, shifted(topic, indexes, target.by, current)) : await resolveOffsetSpec(cluster, topic, indexes, target);
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
