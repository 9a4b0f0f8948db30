/**
 * `kb config get [NAME...]`: a broker's configs (DescribeConfigs on the
 * broker resource) with their value, source and whether they are
 * read-only; all of them, or the NAMEs given (an unknown NAME is an error).
 */
import { Args, Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { chooseBroker } from '../../cli/broker-id.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

/** Kafka's DescribeConfigs config source codes, by name. */
const sourceNames: Record<number, string> = { 1: 'dynamic-topic', 2: 'dynamic-broker', 3: 'dynamic-default', 4: 'static', 5: 'default' };

export default class ConfigGet extends KbCommand {
  static override description = 'Show broker configs';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = ['<%= config.bin %> config get', '<%= config.bin %> config get num.partitions log.retention.ms --broker 1'];
  static override args = { name: Args.string({ description: 'config name(s); all when none' }) };
  static override flags = {
    broker: Flags.integer({ description: 'node id of the broker (default: the lowest)', min: 0, max: int32Max }),
  };

  async run(): Promise<{ broker: number; configs: { name: string; value: string | null; source: string; readOnly: boolean }[] }> {
    const { argv, flags } = await this.parse(ConfigGet);
    const names = argv as string[];
    const cluster = await this.cluster();
    const broker = await chooseBroker(cluster, flags.broker);
    const all = await new Admin(cluster).describeBrokerConfigs(broker);
    const unknown = names.filter((n) => !all.some((c) => c.name === n));
    if (unknown.length > 0) throw new UserError(`broker ${broker} has no config ${unknown.join(', ')} (kb config get lists them all)`);
    const configs = all
      .filter((c) => names.length === 0 || names.includes(c.name))
      .map((c) => ({ name: c.name, value: c.value, source: sourceNames[c.source] ?? String(c.source), readOnly: c.readOnly }));
    this.log(renderTable(['NAME', 'VALUE', 'SOURCE', 'READ-ONLY'], configs.map((c) => [c.name, c.value, c.source, c.readOnly ? 'yes' : 'no'])));
    return { broker, configs };
  }
}
