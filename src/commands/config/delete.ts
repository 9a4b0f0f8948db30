/**
 * `kb config delete NAME...`: removes dynamic broker configs (as
 * `kb config set --unset NAME`), back to their static or default values.
 * A static setting (read-only in `kb config get`) is refused by the
 * broker, and this exits 1 with its reason.
 */
import { Args, Flags } from '@oclif/core';
import { KbCommand } from '../../cli/kb-command.ts';
import { int32Max } from '../../protocol/wire-limits.ts';
import { alterBrokerConfigs } from './set.ts';

export default class ConfigDelete extends KbCommand {
  static override description = 'Remove dynamic broker configs (back to their static or default values)';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = ['<%= config.bin %> config delete log.retention.ms --broker 1'];
  static override args = { name: Args.string({ description: 'config name(s)', required: true }) };
  static override flags = {
    broker: Flags.integer({ description: 'node id of the broker (default: the lowest)', min: 0, max: int32Max }),
  };

  async run(): Promise<{ broker: number; unset: string[] }> {
    const { argv, flags } = await this.parse(ConfigDelete);
    const names = [...new Set(argv as string[])];
    const broker = await alterBrokerConfigs(await this.cluster(), flags.broker, names.map((name) => ({ name, value: null })));
    this.log(`updated broker ${broker}: ${names.map((name) => `${name} removed`).join(', ')}`);
    return { broker, unset: names };
  }
}
