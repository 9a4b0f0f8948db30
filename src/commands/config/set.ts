/**
 * `kb config set NAME=VALUE...`: changes dynamic broker configs
 * (IncrementalAlterConfigs on the broker resource). kb's broker settings are
 * static today, so the broker refuses and this exits 1 with its reason
 * (set them with `kb broker start --set` instead).
 */
import { Args, Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { chooseBroker } from '../../cli/broker-id.ts';
import { KbCommand, UsageError } from '../../cli/kb-command.ts';
import { parseKeyValuePairs } from '../../cli/key-values.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

export default class ConfigSet extends KbCommand {
  static override description = 'Change dynamic broker configs';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = ['<%= config.bin %> config set log.retention.ms=86400000 --broker 1'];
  static override args = { setting: Args.string({ description: 'NAME=VALUE (one or more)', required: true }) };
  static override flags = {
    broker: Flags.integer({ description: 'node id of the broker (default: the lowest)', min: 0, max: int32Max }),
  };

  async run(): Promise<{ broker: number; set: Record<string, string> }> {
    const { argv, flags } = await this.parse(ConfigSet);
    let pairs: [string, string][];
    try {
      pairs = parseKeyValuePairs(argv as string[], 'setting');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const cluster = await this.cluster();
    const broker = await chooseBroker(cluster, flags.broker);
    await new Admin(cluster).alterBrokerConfigs(broker, pairs.map(([name, value]) => ({ name, value })));
    this.log(`updated broker ${broker}: ${pairs.map(([k, v]) => `${k}=${v}`).join(', ')}`);
    return { broker, set: Object.fromEntries(pairs) };
  }
}
