/**
 * `kb group delete GROUP...`: deletes empty consumer groups and their
 * committed offsets. Destructive: --yes, or on a TTY the group id(s) typed
 * back (src/cli/prompts.ts); without either it is a usage error. A group
 * with active members or that does not exist is an error (exit 1) naming
 * it.
 */
import { Args, Flags } from '@oclif/core';
import { GroupAdmin } from '../../client/groups.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { confirmDestructive } from '../../cli/prompts.ts';
import { ErrorCode } from '../../protocol/errors.ts';

function whyNot(groupId: string, err: Error): string {
  if (err.cause === ErrorCode.NON_EMPTY_GROUP) return `group '${groupId}' still has active members: stop its consumers first`;
  if (err.cause === ErrorCode.GROUP_ID_NOT_FOUND) return `group '${groupId}' does not exist`;
  return err.message;
}

export default class GroupDelete extends KbCommand {
  static override description = 'Delete empty consumer groups and their committed offsets';
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = { group: Args.string({ description: 'group id(s)', required: true }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a TTY)', default: false }),
  };

  async run(): Promise<{ deleted: string[] }> {
    const { argv, flags } = await this.parse(GroupDelete);
    const groupIds = argv as string[];
    const what = groupIds.length === 1 ? `group ${groupIds[0]} with its` : `groups ${groupIds.join(', ')} with their`;
    await confirmDestructive({ yes: flags.yes, expected: groupIds.join(' '), action: `Deleting ${what} committed offsets` });
    const admin = new GroupAdmin(await this.cluster());
    const deleted: string[] = [];
    const failures: string[] = [];
    for (const groupId of groupIds) {
      try {
        await admin.deleteGroup(groupId);
        deleted.push(groupId);
        this.log(`deleted group ${groupId}`);
      } catch (err) {
        failures.push(whyNot(groupId, err as Error));
      }
    }
    if (failures.length > 0) throw new UserError(failures.join('\n'));
    return { deleted };
  }
}
