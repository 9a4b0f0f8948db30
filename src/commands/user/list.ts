/**
 * `kb user list`: every user with SCRAM credentials, with the mechanisms
 * and iterations of each (never salts or keys).
 */
import { Users, type UserCredentials } from '../../client/users.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

export default class UserList extends KbCommand {
  static override description = 'List users and their SCRAM mechanisms';
  static override enableJsonFlag = true;

  async run(): Promise<{ users: UserCredentials[] }> {
    const users = await new Users(await this.cluster()).describe(null);
    if (users.length > 0) {
      this.log(renderTable(['USER', 'MECHANISMS'], users.map((u) => [u.name, u.mechanisms.map((m) => `${m.mechanism} (${m.iterations} iterations)`).join(', ')])));
    }
    return { users };
  }
}
