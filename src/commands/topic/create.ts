/**
 * `kb topic create NAME [--partitions N]`: creates a topic. Exits 1 when it
 * exists already (0 with --if-not-exists), 2 on bad flags. A missing NAME
 * is asked for when stdin is a TTY, and is a usage error otherwise. The
 * partition count and replication factor default to the broker's
 * num.partitions and default.replication.factor (as kafka-topics.sh and
 * rpk); the count made is the one the broker reports.
 */
import { Args, Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import { KbCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { topicIdText } from '../../cli/output.ts';
import { parseKeyValues } from '../../cli/key-values.ts';
import { askText, interactive } from '../../cli/prompts.ts';
import { int16Max, int32Max } from '../../protocol/wire-limits.ts';

export default class TopicCreate extends KbCommand {
  static override description = 'Create a topic';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> topic create orders --partitions 6 --rf 3',
    '<%= config.bin %> topic create scratch',
    '<%= config.bin %> topic create events --config retention.ms=86400000 --config cleanup.policy=compact',
  ];

  static override args = { name: Args.string({ description: 'topic name (asked for on a TTY when missing)' }) };

  static override flags = {
    partitions: Flags.integer({ char: 'p', description: "partition count (default: the broker's num.partitions)", min: 1, max: int32Max }),
    rf: Flags.integer({ char: 'r', description: "replication factor (default: the broker's default.replication.factor)", min: 1, max: int16Max }),
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
    if (args.name === undefined && !interactive()) throw new UsageError('missing the topic NAME (for example: kb topic create orders --partitions 3)');
    const name = args.name ?? (await askText('Topic name:'));
    const admin = new Admin(await this.cluster());
    const result = await admin.createTopic({ name, partitions: flags.partitions ?? -1, replicationFactor: flags.rf ?? -1, configs }, flags['dry-run']);
    if (result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && flags['if-not-exists']) {
      this.log(`topic ${name} exists already`);
      return { topic: name, topicId: null, created: false };
    }
    if (result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) {
      throw new UserError(`topic '${name}' already exists (add --if-not-exists to accept that, or kb topic describe ${name})`);
    }
    if (result.errorCode !== ErrorCode.NONE) {
      throw new UserError(`cannot create topic '${name}': ${result.errorMessage ?? errorName(result.errorCode)}`);
    }
    this.log(flags['dry-run'] ? `topic ${name} can be created` : `created topic ${name} with ${result.numPartitions} partition(s)`);
    return { topic: name, topicId: flags['dry-run'] ? null : topicIdText(result.topicId), created: !flags['dry-run'] };
  }
}
