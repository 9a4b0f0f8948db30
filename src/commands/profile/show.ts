/**
 * `kb profile show [NAME]`: a profile's settings (the one in use by
 * default) as key=value lines, kcat's -F format; secrets show as
 * `<hidden>`, with --json too.
 */
import { Args } from '@oclif/core';
import { secretKeys } from '../../cli/client-config.ts';
import { KbLocalCommand, UserError } from '../../cli/kb-command.ts';
import { loadProfiles, profileNamed } from '../../cli/profiles.ts';

export default class ProfileShow extends KbLocalCommand {
  static override description = 'Show a profile (the one in use by default); passwords hidden';
  static override enableJsonFlag = true;
  static override args = { name: Args.string({ description: 'profile name (default: the one in use)' }) };

  async run(): Promise<{ name: string; current: boolean; brokers: string | null; config: Record<string, string> }> {
    const { args } = await this.parse(ProfileShow);
    const store = await loadProfiles();
    const name = args.name ?? store.current;
    if (name === null) throw new UserError('no profile is in use: name one (kb profile list)');
    const profile = profileNamed(store, name);
    const config = Object.fromEntries(Object.entries(profile.config).map(([k, v]) => [k, secretKeys.includes(k) ? '<hidden>' : v]));
    const settings = { ...(profile.brokers === undefined ? {} : { 'bootstrap.servers': profile.brokers }), ...config };
    for (const [key, value] of Object.entries(settings)) this.log(`${key}=${value}`);
    return { name, current: name === store.current, brokers: profile.brokers ?? null, config };
  }
}
