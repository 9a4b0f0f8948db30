/**
 * `kb group delete-offsets GROUP --topic T [-p N]`: deletes the group's
 * committed offsets of a topic (every partition it committed, or -p), as
 * kafka-consumer-groups.sh --delete-offsets does; the group's members then
 * start from their auto.offset.reset. Kafka allows it for an Empty group,
 * or for topics no member subscribes to. Destructive: --yes, or on a TTY
 * the group id typed back (src/cli/prompts.ts).
 */
import { Args, Flags } from '@oclif/core';
import { GroupAdmin } from '../../client/groups.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { confirmDestructive } from '../../cli/prompts.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

export default class GroupDeleteOffsets extends KbCommand {
  static override description = "Delete a consumer group's committed offsets of a topic";
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> group delete-offsets billing --topic orders --yes', '<%= config.bin %> group delete-offsets billing --topic orders -p 3'];
  static override args = { group: Args.string({ description: 'group id', required: true }) };
  static override flags = {
    topic: Flags.string({ char: 't', description: 'the topic whose offsets are deleted', required: true }),
    partition: Flags.integer({ char: 'p', description: 'only this partition', min: 0, max: int32Max }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a TTY)', default: false }),
  };

  async run(): Promise<{ group: string; topic: string; partitions: number[] }> {
    const { args, flags } = await this.parse(GroupDeleteOffsets);
    const admin = new GroupAdmin(await this.cluster());
    const committed = (await admin.committedOffsets(args.group)).filter((o) => o.topic === flags.topic && (flags.partition === undefined || o.partition === flags.partition));
    const where = flags.partition === undefined ? flags.topic : `${flags.topic}/${flags.partition}`;
    if (committed.length === 0) throw new UserError(`group '${args.group}' has no committed offset of ${where} (kb group describe ${args.group} lists them)`);
    const partitions = committed.map((o) => o.partition);
    await confirmDestructive({ yes: flags.yes, expected: args.group, action: `Deleting the offsets of group ${args.group} for ${where}` });
    try {
      await admin.deleteOffsets(args.group, [{ topic: flags.topic, partitions }]);
    } catch (err) {
      if ((err as Error).cause === ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC) {
        throw new UserError(`group '${args.group}' has members reading ${flags.topic}: stop them first (only an idle topic's offsets can be deleted)`);
      }
      throw err;
    }
    this.log(`deleted the offsets of group ${args.group} for ${flags.topic} partition(s) ${partitions.join(', ')}`);
    return { group: args.group, topic: flags.topic, partitions };
  }
}
