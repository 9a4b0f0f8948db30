/**
 * `kb acl create`: allows or denies principals operations on resources,
 * rpk's flags (cli/acl-flags.ts), e.g. `--allow-principal User:alice
 * --operation read,describe --topic orders --resource-pattern-type
 * prefixed`. Creating an ACL that exists changes nothing.
 */
import { Acls } from '../../client/acls.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { aclFlags, bindingsOf, createPatternFlag, hostFlags } from '../../cli/acl-flags.ts';
import { aclJson, renderAcls, type AclJson } from '../../cli/acl-output.ts';

export default class AclCreate extends KbCommand {
  static override description = 'Create ACLs';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> acl create --allow-principal User:alice --operation read,describe --topic orders',
    '<%= config.bin %> acl create --allow-principal alice --operation write --topic orders- --resource-pattern-type prefixed',
    '<%= config.bin %> acl create --allow-principal User:alice --operation read --group orders-app',
    '<%= config.bin %> acl create --deny-principal User:mallory --deny-host 10.0.0.9 --operation all --topic orders',
  ];
  static override flags = { ...aclFlags, ...hostFlags, 'resource-pattern-type': createPatternFlag };

  async run(): Promise<{ created: AclJson[] }> {
    const { flags } = await this.parse(AclCreate);
    const bindings = bindingsOf(flags);
    await new Acls(await this.cluster()).create(bindings);
    this.log(`created ${bindings.length} ACL${bindings.length === 1 ? '' : 's'}`);
    this.log(renderAcls(bindings));
    return { created: bindings.map(aclJson) };
  }
}
