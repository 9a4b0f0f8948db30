/**
 * `kb user set-password NAME`: a new password for an existing user, for
 * every SCRAM mechanism the user has (so the old password works for none),
 * or for --mechanism only (adding that credential if missing). The
 * password comes from --password-file, KB_PASSWORD or a prompt, never argv.
 */
import { Args } from '@oclif/core';
import { Users } from '../../client/users.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { passwordFlags, readPassword } from '../../cli/password.ts';
import { scramFlags } from '../../cli/scram-flags.ts';
import { SaslprepError } from '../../protocol/saslprep.ts';
import { scramMechanismNamed, type ScramMechanism } from '../../protocol/scram.ts';

/** Users.setPassword, with a password SASLprep refuses explained. */
export async function setPasswordOrExplain(users: Users, name: string, mechanism: ScramMechanism, password: string, iterations: number): Promise<void> {
  try {
    await users.setPassword(name, mechanism, password, iterations);
  } catch (err) {
    if (err instanceof SaslprepError) throw new UserError(`this password cannot be used: ${err.message}`);
    throw err;
  }
}

export default class UserSetPassword extends KbCommand {
  static override description = "Change a user's password";
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> user set-password alice', '<%= config.bin %> user set-password app --password-file app.pw --iterations 8192'];
  static override args = { name: Args.string({ description: 'user name', required: true }) };
  static override flags = { ...scramFlags, ...passwordFlags };

  async run(): Promise<{ user: string; mechanisms: string[]; iterations: number }> {
    const { args, flags } = await this.parse(UserSetPassword);
    const users = new Users(await this.cluster());
    const [existing] = await users.describe([args.name], { missingOk: true });
    if (!existing) throw new UserError(`user '${args.name}' does not exist: create it with kb user create ${args.name}`);
    const names = flags.mechanism ? [flags.mechanism] : existing.mechanisms.map((m) => m.mechanism);
    const mechanisms = names.map((name) => scramMechanismNamed(name)).filter((m) => m !== undefined);
    const password = await readPassword(flags, `user ${args.name}`);
    for (const mechanism of mechanisms) await setPasswordOrExplain(users, args.name, mechanism, password, flags.iterations);
    this.log(`changed the password of user ${args.name} (${mechanisms.map((m) => m.name).join(', ')})`);
    return { user: args.name, mechanisms: mechanisms.map((m) => m.name), iterations: flags.iterations };
  }
}
