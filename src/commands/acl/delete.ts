/**
 * `kb acl delete`: deletes the ACLs the flags match (cli/acl-flags.ts; at
 * least one flag: deleting every ACL takes --all). Shows what would go
 * first; --dry-run stops there. Destructive: --yes, or on a TTY the number
 * of ACLs typed back.
 */
import { Flags } from '@oclif/core';
import { Acls } from '../../client/acls.ts';
import { KbCommand, UsageError } from '../../cli/kb-command.ts';
import { confirmDestructive } from '../../cli/prompts.ts';
import { aclFlags, filterPatternFlag, filtersOf } from '../../cli/acl-flags.ts';
import { aclJson, renderAcls, sortAcls, type AclJson } from '../../cli/acl-output.ts';
import { describeAcl, type AclBinding } from '../../protocol/acl.ts';

export default class AclDelete extends KbCommand {
  static override description = 'Delete ACLs';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> acl delete --allow-principal User:alice --topic orders --dry-run',
    '<%= config.bin %> acl delete --allow-principal User:alice --operation write --topic orders --yes',
  ];
  static override flags = {
    ...aclFlags,
    'resource-pattern-type': filterPatternFlag,
    all: Flags.boolean({ description: 'every ACL, when no other flag narrows it', default: false }),
    'dry-run': Flags.boolean({ description: 'show what would be deleted and stop', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a TTY)', default: false }),
  };

  async run(): Promise<{ deleted: AclJson[]; dryRun: boolean }> {
    const { flags } = await this.parse(AclDelete);
    const narrowed = Object.keys(aclFlags).some((name) => {
      const value = flags[name as keyof typeof aclFlags];
      return Array.isArray(value) ? value.length > 0 : value === true;
    });
    if (!narrowed && !flags.all) throw new UsageError('say which ACLs to delete (--topic, --allow-principal, ...), or --all for every one');
    const filters = filtersOf(flags);
    const acls = new Acls(await this.cluster());
    const matching = new Map<string, AclBinding>();
    for (const filter of filters) for (const acl of await acls.list(filter)) matching.set(describeAcl(acl), acl);
    const going = sortAcls([...matching.values()]);
    if (going.length === 0) {
      this.log('no ACL matches: nothing to delete');
      return { deleted: [], dryRun: flags['dry-run'] };
    }
    this.log(renderAcls(going));
    if (flags['dry-run']) {
      this.log(`would delete ${going.length} ACL${going.length === 1 ? '' : 's'} (dry run)`);
      return { deleted: going.map(aclJson), dryRun: true };
    }
    await confirmDestructive({ yes: flags.yes, expected: String(going.length), action: `Deleting these ${going.length} ACLs` });
    const deleted = sortAcls(await acls.delete(filters));
    this.log(`deleted ${deleted.length} ACL${deleted.length === 1 ? '' : 's'}`);
    return { deleted: deleted.map(aclJson), dryRun: false };
  }
}
