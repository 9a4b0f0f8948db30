/**
 * `kb quota list`: the client quotas of every entity, or of the entities
 * with the parts the flags name (`--user alice` lists alice's own quota
 * and those of alice with a client id).
 */
import { ClientQuotasAdmin, describeEntity, type EntityQuotaValues } from '../../client/quotas.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';
import { entityFlags, entityOf } from '../../cli/quota-flags.ts';

export default class QuotaList extends KbCommand {
  static override description = 'List client quotas';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> quota list', '<%= config.bin %> quota list --user alice --json'];
  static override flags = entityFlags;

  async run(): Promise<{ quotas: EntityQuotaValues[] }> {
    const { flags } = await this.parse(QuotaList);
    const quotas = await new ClientQuotasAdmin(await this.cluster()).describe(entityOf(flags, true));
    if (quotas.length > 0) {
      const rows = quotas.map((q) => [describeEntity(q.entity), Object.entries(q.values).map(([k, v]) => `${k}=${v}`).join(', ')]);
      this.log(renderTable(['ENTITY', 'QUOTAS'], rows));
    }
    return { quotas };
  }
}
