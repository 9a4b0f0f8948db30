/**
 * `kb quota set`: sets client quota values of a user, a client id, or a
 * user and client id (`--default` for a type's default); values not given
 * stay as they are. Every broker enforces them once it has applied them.
 */
import { ClientQuotasAdmin, describeEntity } from '../../client/quotas.ts';
import { KbCommand, UsageError } from '../../cli/kb-command.ts';
import { entityFlags, entityOf, parseByteRate, parsePositive, quotaKeyOfFlag, valueFlags } from '../../cli/quota-flags.ts';
import type { QuotaEntityPart } from '../../metadata/client-quotas.ts';

export default class QuotaSet extends KbCommand {
  static override description = 'Set client quotas of a user, a client id, or both';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> quota set --user alice --producer-byte-rate 1MB',
    '<%= config.bin %> quota set --user alice --client-id reporting --consumer-byte-rate 512KB',
    '<%= config.bin %> quota set --default user --request-percentage 50',
  ];
  static override flags = { ...entityFlags, ...valueFlags };

  async run(): Promise<{ entity: QuotaEntityPart[]; values: Record<string, number> }> {
    const { flags } = await this.parse(QuotaSet);
    const entity = entityOf(flags);
    const values: Record<string, number> = {};
    for (const [flag, key] of Object.entries(quotaKeyOfFlag) as [keyof typeof quotaKeyOfFlag, string][]) {
      const text = flags[flag];
      if (text === undefined) continue;
      values[key] = flag.endsWith('byte-rate') ? parseByteRate(flag, text) : parsePositive(flag, text);
    }
    if (Object.keys(values).length === 0) throw new UsageError(`give at least one value: ${Object.keys(valueFlags).map((f) => `--${f}`).join(', ')}`);
    await new ClientQuotasAdmin(await this.cluster()).alter(entity, values);
    this.log(`set ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(', ')} for ${describeEntity(entity)}`);
    return { entity, values };
  }
}
