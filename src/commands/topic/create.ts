/**
 * `kb topic create NAME`: creates a topic. Exits 1 when it exists already
 * (0 with --if-not-exists), 2 on bad flags.
 */
import { Args, Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import { KbCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { parseKeyValues } from '../../cli/key-values.ts';

export default class TopicCreate extends KbCommand {
  static override description = 'Create a topic';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> topic create orders --partitions 6 --rf 3',
    '<%= config.bin %> topic create events --config retention.ms=86400000 --config cleanup.policy=compact',
  ];

  static override args = { name: Args.string({ description: 'topic name', required: true }) };

  static override flags = {
    partitions: Flags.integer({ char: 'p', description: "partition count (default: the broker's num.partitions)", min: 1 }),
    rf: Flags.integer({ char: 'r', description: "replication factor (default: the broker's default.replication.factor)", min: 1 }),
    config: Flags.string({ char: 'c', description: 'topic config key=value (repeatable)', multiple: true }),
    'if-not-exists': Flags.boolean({ description: 'succeed when the topic exists already', default: false }),
    'dry-run': Flags.boolean({ description: 'only validate the request', default: false }),
  };

  async run(): Promise<{ topic: string; topicId: string | null; created: boolean }> {
    const { args, flags } = await this.parse(TopicCreate);
    let configs: Record<string, string>;
    try {
      configs = parseKeyValues(flags.config ?? [], '--config');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const admin = new Admin(await this.cluster());
    const result = await admin.createTopic(
      { name: args.name, partitions: flags.partitions ?? -1, replicationFactor: flags.rf ?? -1, configs },
      flags['dry-run'],
    );
    if (result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && flags['if-not-exists']) {
      this.log(`topic ${args.name} exists already`);
      return { topic: args.name, topicId: null, created: false };
    }
    if (result.errorCode !== ErrorCode.NONE) {
      throw new UserError(`cannot create topic '${args.name}': ${result.errorMessage ?? errorName(result.errorCode)}`);
    }
    const topicId = result.topicId.toString('hex');
    this.log(flags['dry-run'] ? `topic ${args.name} can be created` : `created topic ${args.name}`);
    return { topic: args.name, topicId: flags['dry-run'] ? null : topicId, created: !flags['dry-run'] };
  }
}
