/**
 * `kb acl list`: the ACLs the flags match (cli/acl-flags.ts; every ACL
 * without any), e.g. `--topic orders --resource-pattern-type match` for
 * every ACL that applies to topic orders (literal, prefixed and `*`).
 */
import { Acls } from '../../client/acls.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { aclFlags, filterPatternFlag, filtersOf } from '../../cli/acl-flags.ts';
import { aclJson, renderAcls, sortAcls, type AclJson } from '../../cli/acl-output.ts';
import { describeAcl, type AclBinding } from '../../protocol/acl.ts';

export default class AclList extends KbCommand {
  static override description = 'List ACLs';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> acl list',
    '<%= config.bin %> acl list --allow-principal User:alice',
    '<%= config.bin %> acl list --topic orders --resource-pattern-type match --json',
  ];
  static override flags = { ...aclFlags, 'resource-pattern-type': filterPatternFlag };

  async run(): Promise<{ acls: AclJson[] }> {
    const { flags } = await this.parse(AclList);
    const acls = new Acls(await this.cluster());
    const found = new Map<string, AclBinding>();
    for (const filter of filtersOf(flags)) for (const acl of await acls.list(filter)) found.set(describeAcl(acl), acl);
    const sorted = sortAcls([...found.values()]);
    if (sorted.length > 0) this.log(renderAcls(sorted));
    return { acls: sorted.map(aclJson) };
  }
}
