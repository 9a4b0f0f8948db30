/**
 * `kb topic add-partitions NAME --to N`: grows a topic to N partitions
 * (CreatePartitions). Kafka never removes partitions: N must exceed the
 * current count, which the broker checks.
 */
import { Args, Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

export default class TopicAddPartitions extends KbCommand {
  static override description = 'Add partitions to a topic (keyed records may then map to other partitions)';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> topic add-partitions orders --to 12'];
  static override args = { name: Args.string({ description: 'topic name', required: true }) };
  static override flags = {
    to: Flags.integer({ description: 'the new total partition count', required: true, min: 1, max: int32Max }),
  };

  async run(): Promise<{ topic: string; partitions: number }> {
    const { args, flags } = await this.parse(TopicAddPartitions);
    await new Admin(await this.cluster()).createPartitions(args.name, flags.to);
    this.log(`topic ${args.name} now has ${flags.to} partitions`);
    return { topic: args.name, partitions: flags.to };
  }
}
