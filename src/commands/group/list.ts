/**
 * `kb group list`: every consumer group of the cluster with its state,
 * member count, protocol type and selected protocol (assignor).
 */
import { GroupAdmin, type GroupListing } from '../../client/groups.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

export default class GroupList extends KbCommand {
  static override description = 'List consumer groups';
  static override enableJsonFlag = true;

  async run(): Promise<{ groups: GroupListing[] }> {
    const groups = await new GroupAdmin(await this.cluster()).listGroups();
    if (groups.length > 0) {
      this.log(
        renderTable(
          ['GROUP', 'STATE', 'MEMBERS', 'PROTOCOL-TYPE', 'PROTOCOL'],
          groups.map((g) => [g.groupId, g.state, g.members, g.protocolType || null, g.protocol || null]),
        ),
      );
    }
    return { groups };
  }
}
