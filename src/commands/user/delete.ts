/**
 * `kb user delete NAME`: removes every SCRAM credential of a user (or the
 * --mechanism one only), so it can no longer log in. Destructive: --yes,
 * or on a TTY the name typed back.
 */
import { Args, Flags } from '@oclif/core';
import { Users } from '../../client/users.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { confirmDestructive } from '../../cli/prompts.ts';
import { scramFlags } from '../../cli/scram-flags.ts';
import { scramMechanismNamed } from '../../protocol/scram.ts';

export default class UserDelete extends KbCommand {
  static override description = "Delete a user's SCRAM credentials";
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> user delete alice --yes', '<%= config.bin %> user delete app --mechanism SCRAM-SHA-256'];
  static override args = { name: Args.string({ description: 'user name', required: true }) };
  static override flags = {
    mechanism: scramFlags.mechanism,
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a TTY)', default: false }),
  };

  async run(): Promise<{ user: string; deleted: string[] }> {
    const { args, flags } = await this.parse(UserDelete);
    const users = new Users(await this.cluster());
    const [existing] = await users.describe([args.name], { missingOk: true });
    const names = (existing?.mechanisms ?? []).map((m) => m.mechanism).filter((name) => !flags.mechanism || name === flags.mechanism);
    if (names.length === 0) throw new UserError(`user '${args.name}' has no ${flags.mechanism ?? 'SCRAM'} credential`);
    await confirmDestructive({ yes: flags.yes, expected: args.name, action: `Deleting the ${names.join(' and ')} credentials of user ${args.name}` });
    for (const name of names) await users.delete(args.name, scramMechanismNamed(name)!);
    this.log(`deleted user ${args.name} (${names.join(', ')})`);
    return { user: args.name, deleted: names };
  }
}
