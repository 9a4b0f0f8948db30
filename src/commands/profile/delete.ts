/** `kb profile delete NAME`: removes a profile (--yes, or its name typed back on a TTY); deleting the one in use leaves none in use. */
import { Args, Flags } from '@oclif/core';
import { KbLocalCommand } from '../../cli/kb-command.ts';
import { loadProfiles, profileNamed, saveProfiles } from '../../cli/profiles.ts';
import { confirmDestructive } from '../../cli/prompts.ts';

export default class ProfileDelete extends KbLocalCommand {
  static override description = 'Delete a profile';
  static override args = { name: Args.string({ description: 'profile name', required: true }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a TTY)', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ProfileDelete);
    const store = await loadProfiles();
    profileNamed(store, args.name);
    await confirmDestructive({ yes: flags.yes, expected: args.name, action: `Deleting profile ${args.name}` });
    delete store.profiles[args.name];
    if (store.current === args.name) store.current = null;
    await saveProfiles(store);
    this.log(`deleted profile ${args.name}`);
  }
}
