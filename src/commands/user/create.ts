/**
 * `kb user create NAME`: a user with a SCRAM credential (SCRAM-SHA-512 by
 * default, --mechanism; --iterations). The password comes from
 * --password-file, KB_PASSWORD or a prompt (cli/password.ts), never argv.
 * A user that exists already is an error (exit 1): `kb user set-password`
 * changes a password.
 */
import { Args } from '@oclif/core';
import { Users } from '../../client/users.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { passwordFlags, readPassword } from '../../cli/password.ts';
import { defaultScramMechanism, scramFlags } from '../../cli/scram-flags.ts';
import { scramMechanismNamed } from '../../protocol/scram.ts';
import { setPasswordOrExplain } from './set-password.ts';

export default class UserCreate extends KbCommand {
  static override description = 'Create a user with a SCRAM credential';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> user create alice', 'KB_PASSWORD=... <%= config.bin %> user create app --mechanism SCRAM-SHA-256', '<%= config.bin %> user create app --password-file app.pw'];
  static override args = { name: Args.string({ description: 'user name', required: true }) };
  static override flags = { ...scramFlags, ...passwordFlags };

  async run(): Promise<{ user: string; mechanism: string; iterations: number }> {
    const { args, flags } = await this.parse(UserCreate);
    const mechanism = scramMechanismNamed(flags.mechanism ?? defaultScramMechanism)!;
    const password = await readPassword(flags, `user ${args.name}`);
    const users = new Users(await this.cluster());
    if ((await users.describe([args.name], { missingOk: true })).length > 0) {
      throw new UserError(`user '${args.name}' exists already: change its password with kb user set-password ${args.name}`);
    }
    await setPasswordOrExplain(users, args.name, mechanism, password, flags.iterations);
    this.log(`created user ${args.name} (${mechanism.name}, ${flags.iterations} iterations)`);
    return { user: args.name, mechanism: mechanism.name, iterations: flags.iterations };
  }
}
