/** `kb profile use NAME`: the profile commands use from now on (unless --profile or KB_PROFILE names another). */
import { Args } from '@oclif/core';
import { KbLocalCommand } from '../../cli/kb-command.ts';
import { loadProfiles, profileNamed, saveProfiles } from '../../cli/profiles.ts';

export default class ProfileUse extends KbLocalCommand {
  static override description = 'Use a profile from now on';
  static override args = { name: Args.string({ description: 'profile name', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(ProfileUse);
    const store = await loadProfiles();
    profileNamed(store, args.name);
    store.current = args.name;
    await saveProfiles(store);
    this.log(`using profile ${args.name}`);
  }
}
