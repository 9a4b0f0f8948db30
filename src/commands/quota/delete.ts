/**
 * `kb quota delete`: removes client quota values of one entity: the keys
 * named with --key, or all of them. The entity then falls back to the
 * next quota by Kafka's precedence (or none). Asks first unless --yes.
 */
import { Flags } from '@oclif/core';
import { ClientQuotasAdmin, describeEntity } from '../../client/quotas.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { confirmChange } from '../../cli/prompts.ts';
import { entityFlags, entityOf } from '../../cli/quota-flags.ts';
import { entityKey, quotaKeys, type QuotaEntityPart } from '../../metadata/client-quotas.ts';

export default class QuotaDelete extends KbCommand {
  static override description = 'Delete client quotas of a user, a client id, or both';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> quota delete --user alice --yes', '<%= config.bin %> quota delete --default client-id --key consumer_byte_rate --yes'];
  static override flags = {
    ...entityFlags,
    key: Flags.string({ description: 'only this quota (default: all of the entity)', options: Object.keys(quotaKeys), multiple: true }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a TTY)', default: false }),
  };

  async run(): Promise<{ entity: QuotaEntityPart[]; deleted: string[] }> {
    const { flags } = await this.parse(QuotaDelete);
    const entity = entityOf(flags);
    const admin = new ClientQuotasAdmin(await this.cluster());
    const existing = (await admin.describe(entity)).find((q) => entityKey(q.entity) === entityKey(entity));
    const keys = Object.keys(existing?.values ?? {}).filter((k) => !flags.key || flags.key.includes(k));
    if (keys.length === 0) throw new UserError(`${describeEntity(entity)} has no ${flags.key?.join(' or ') ?? 'client quota'} to delete`);
    await confirmChange({ yes: flags.yes, action: `Delete ${keys.join(', ')} of ${describeEntity(entity)}` });
    await admin.alter(entity, Object.fromEntries(keys.map((k) => [k, null])));
    this.log(`deleted ${keys.join(', ')} of ${describeEntity(entity)}`);
    return { entity, deleted: keys };
  }
}
