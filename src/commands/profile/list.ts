/** `kb profile list`: every profile, the one in use marked, with its brokers and security protocol. */
import { KbLocalCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';
import { loadProfiles } from '../../cli/profiles.ts';

export default class ProfileList extends KbLocalCommand {
  static override description = 'List profiles';
  static override enableJsonFlag = true;

  async run(): Promise<{ profiles: { name: string; current: boolean; brokers: string | null; securityProtocol: string }[] }> {
    const store = await loadProfiles();
    const profiles = Object.entries(store.profiles).map(([name, p]) => ({
      name,
      current: name === store.current,
      brokers: p.brokers ?? null,
      securityProtocol: (p.config['security.protocol'] ?? 'PLAINTEXT').toUpperCase(),
    }));
    if (profiles.length > 0) this.log(renderTable(['', 'NAME', 'BROKERS', 'SECURITY'], profiles.map((p) => [p.current ? '*' : '', p.name, p.brokers, p.securityProtocol])));
    return { profiles };
  }
}
