/**
 * `kb topic delete NAME...`: deletes topics. Destructive: --yes, or on a TTY
 * the names typed back; without a TTY and --yes it is a usage error (exit 2)
 * and nothing is deleted. A topic that cannot be deleted (e.g. it does not
 * exist) is named in the error (exit 1); the others are still deleted.
 */
import { Args, Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { errorName } from '../../protocol/errors.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { confirmDestructive } from '../../cli/prompts.ts';

export default class TopicDelete extends KbCommand {
  static override description = 'Delete topics and all their records';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = ['<%= config.bin %> topic delete orders', '<%= config.bin %> topic delete tmp1 tmp2 --yes'];
  static override args = { name: Args.string({ description: 'topic name(s)', required: true }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a TTY)', default: false }),
  };

  async run(): Promise<{ deleted: string[] }> {
    const { argv, flags } = await this.parse(TopicDelete);
    const names = [...new Set(argv as string[])];
    const what = names.length === 1 ? `topic ${names[0]}` : `topics ${names.join(', ')}`;
    await confirmDestructive({ yes: flags.yes, expected: names.join(' '), action: `Deleting ${what} with all its records` });
    const results = await new Admin(await this.cluster()).deleteTopics(names);
    const failed = results.filter((r) => r.errorCode !== 0);
    for (const r of results.filter((r) => r.errorCode === 0)) this.log(`deleted topic ${r.name}`);
    if (failed.length > 0) {
      throw new UserError(failed.map((r) => `cannot delete '${r.name}': ${r.errorMessage ?? errorName(r.errorCode)}`).join('\n'));
    }
    return { deleted: results.map((r) => r.name) };
  }
}
