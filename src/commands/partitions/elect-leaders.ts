/**
 * `kb partitions elect-leaders`: preferred (default) or unclean leader
 * elections (ElectLeaders) for one partition (--topic T --partition N), a
 * topic's partitions (--topic T) or every partition. Prints one line per
 * partition that was elected or failed; partitions that needed no election
 * are reported as such when named, and left out otherwise. Exit 1 when any
 * named partition failed for another reason than "not needed".
 */
import { Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

interface Election {
  topic: string;
  partition: number;
  result: 'elected' | 'not-needed' | 'failed';
  error: string | null;
}

export default class PartitionsElectLeaders extends KbCommand {
  static override description = 'Elect preferred (or, with --type unclean, any live) leaders';
  static override enableJsonFlag = true;
  static override flags = {
    topic: Flags.string({ char: 't', description: 'only this topic (all partitions of every topic without it)' }),
    partition: Flags.integer({ char: 'p', description: 'only this partition of --topic', min: 0, max: int32Max, dependsOn: ['topic'] }),
    type: Flags.string({ description: 'preferred: the first replica, if in sync and live; unclean: any live replica where no live leader exists (may lose data)', options: ['preferred', 'unclean'], default: 'preferred' }),
  };
  static override examples = [
    '<%= config.bin %> partitions elect-leaders',
    '<%= config.bin %> partitions elect-leaders --topic orders --partition 3',
    '<%= config.bin %> partitions elect-leaders --topic orders --type unclean --json',
  ];

  async run(): Promise<{ elections: Election[] }> {
    const { flags } = await this.parse(PartitionsElectLeaders);
    const admin = new Admin(await this.cluster());
    let partitions: { topic: string; partitions: number[] }[] | null = null;
    if (flags.topic !== undefined) {
      const topic = await admin.describeTopic(flags.topic);
      partitions = [{ topic: topic.name, partitions: flags.partition === undefined ? topic.partitions.map((p) => p.partition) : [flags.partition] }];
    }
    const results = await admin.electLeaders(flags.type as 'preferred' | 'unclean', partitions);
    const elections: Election[] = results.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      result: r.errorCode === ErrorCode.NONE ? 'elected' : r.errorCode === ErrorCode.ELECTION_NOT_NEEDED ? 'not-needed' : 'failed',
      error: r.errorCode === ErrorCode.NONE ? null : errorName(r.errorCode),
    }));
    if (elections.length > 0) this.log(renderTable(['TOPIC', 'PARTITION', 'RESULT', 'ERROR'], elections.map((e) => [e.topic, e.partition, e.result, e.error])));
    else this.log('no partition needed an election');
    const failed = elections.filter((e) => e.result === 'failed');
    if (failed.length > 0) {
      throw new UserError(`${failed.length} election(s) failed: ${failed.map((e) => `${e.topic}-${e.partition} (${e.error})`).join(', ')}; the chosen leader must be live (and, for preferred, in sync): wait for it, or see kb partitions list`);
    }
    return { elections };
  }
}
