/**
 * `kb topic delete-records TOPIC --before SPEC`: deletes the records before
 * an offset in every partition (or -p), as kafka-delete-records.sh does;
 * SPEC is an offset spec of `kb consume -o` (src/cli/offset-spec.ts),
 * resolved per partition and clamped into the log. Destructive: --yes, or
 * on a TTY the topic name typed back (src/cli/prompts.ts). Prints each
 * partition's new log start.
 */
import { Args, Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { knownTopic, noSuchPartition } from '../../client/known-topic.ts';
import { KbCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { parseOffsetSpec, resolveOffsetSpec, type OffsetSpec } from '../../cli/offset-spec.ts';
import { confirmDestructive } from '../../cli/prompts.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

export default class TopicDeleteRecords extends KbCommand {
  static override description = 'Delete the records of a topic before an offset (kafka-delete-records)';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> topic delete-records orders --before @-7d --yes',
    '<%= config.bin %> topic delete-records orders -p 0 --before 1000',
    '<%= config.bin %> topic delete-records orders --before end --yes   # empties the topic',
  ];

  static override args = { topic: Args.string({ description: 'topic name', required: true }) };
  static override flags = {
    before: Flags.string({ description: 'delete the records before this offset spec (as kb consume -o: N, -N, end, @TIMESTAMP)', required: true }),
    partition: Flags.integer({ char: 'p', description: 'only this partition', min: 0, max: int32Max }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a TTY)', default: false }),
  };

  async run(): Promise<{ topic: string; partitions: { partition: number; logStartOffset: string }[] }> {
    const { args, flags } = await this.parse(TopicDeleteRecords);
    let spec: OffsetSpec;
    try {
      spec = parseOffsetSpec(flags.before);
    } catch (err) {
      throw new UsageError(`--before: ${(err as Error).message}`);
    }
    const cluster = await this.cluster();
    const topic = knownTopic(await cluster.refreshMetadata([args.topic]), args.topic);
    if (!topic) throw new UserError(`topic '${args.topic}' does not exist (kb topic list shows the topics)`);
    const count = topic.partitions.length;
    if (flags.partition !== undefined && flags.partition >= count) throw new UserError(noSuchPartition(args.topic, flags.partition, count));
    const partitions = flags.partition === undefined ? topic.partitions.map((p) => p.partition) : [flags.partition];
    const before = await resolveOffsetSpec(cluster, args.topic, partitions, spec);
    const where = flags.partition === undefined ? `every partition of ${args.topic}` : `partition ${flags.partition} of ${args.topic}`;
    await confirmDestructive({ yes: flags.yes, expected: args.topic, action: `Deleting the records before ${flags.before} in ${where}` });
    const starts = await new Admin(cluster).deleteRecords(topic, before);
    const rows = partitions.map((partition) => ({ partition, logStartOffset: String(starts.get(partition)) }));
    for (const row of rows) this.log(`${args.topic}/${row.partition}: records before ${row.logStartOffset} deleted`);
    return { topic: args.topic, partitions: rows };
  }
}
