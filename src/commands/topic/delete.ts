/**
 * `kb topic delete NAME...`: deletes topics. Destructive: without a TTY it
 * requires --yes (exit 2 otherwise).
 */
import { Args, Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { errorName } from '../../protocol/errors.ts';
import { KbCommand, UsageError, UserError } from '../../cli/kb-command.ts';

export default class TopicDelete extends KbCommand {
  static override description = 'Delete topics and all their records';
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = { name: Args.string({ description: 'topic name(s)', required: true }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  };

  async run(): Promise<{ deleted: string[] }> {
    const { argv, flags } = await this.parse(TopicDelete);
    const names = argv as string[];
    if (!flags.yes) throw new UsageError(`deleting ${names.join(', ')} loses its records: add --yes to confirm`);
    const results = await new Admin(await this.cluster()).deleteTopics(names);
    const failed = results.filter((r) => r.errorCode !== 0);
    for (const r of results.filter((r) => r.errorCode === 0)) this.log(`deleted topic ${r.name}`);
    if (failed.length > 0) {
      throw new UserError(failed.map((r) => `cannot delete '${r.name}': ${r.errorMessage ?? errorName(r.errorCode)}`).join('\n'));
    }
    return { deleted: results.map((r) => r.name) };
  }
}
