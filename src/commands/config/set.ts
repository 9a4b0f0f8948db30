/**
 * `kb config set NAME=VALUE... [--unset NAME]...`: changes dynamic broker
 * configs (IncrementalAlterConfigs on the broker resource); --unset (and
 * `kb config delete NAME...`, src/commands/config/delete.ts) removes one,
 * back to its static or default value. Only the settings `kb config get`
 * shows as not read-only are dynamic (the replication throttle rates);
 * the broker refuses the others, and this exits 1 with its reason (set
 * them with `kb broker start --set` instead).
 */
import { Args, Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import type { Cluster } from '../../client/cluster.ts';
import { chooseBroker } from '../../cli/broker-id.ts';
import { KbCommand, UsageError } from '../../cli/kb-command.ts';
import { parseKeyValuePairs } from '../../cli/key-values.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

export default class ConfigSet extends KbCommand {
  static override description = `Change or remove dynamic broker configs

Dynamic are the settings kb config get shows as not read-only (leader.replication.throttled.rate, follower.replication.throttled.rate); the others are static: set them when the broker starts (kb broker start --set NAME=VALUE or --config FILE).`;
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = ['<%= config.bin %> config set log.retention.ms=86400000 --broker 1', '<%= config.bin %> config set --unset log.retention.ms'];
  static override args = { setting: Args.string({ description: 'NAME=VALUE (one or more)' }) };
  static override flags = {
    broker: Flags.integer({ description: 'node id of the broker (default: the lowest)', min: 0, max: int32Max }),
    unset: Flags.string({ description: 'remove this dynamic config (repeatable)', multiple: true, multipleNonGreedy: true }),
  };

  async run(): Promise<{ broker: number; set: Record<string, string>; unset: string[] }> {
    const { argv, flags } = await this.parse(ConfigSet);
    let pairs: [string, string][];
    try {
      pairs = parseKeyValuePairs(argv as string[], 'setting');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const unset = flags.unset ?? [];
    if (pairs.length === 0 && unset.length === 0) throw new UsageError('say what to change: NAME=VALUE or --unset NAME');
    const broker = await alterBrokerConfigs(await this.cluster(), flags.broker, [...pairs.map(([name, value]) => ({ name, value })), ...unset.map((name) => ({ name, value: null }))]);
    const changes = [...pairs.map(([k, v]) => `${k}=${v}`), ...unset.map((name) => `${name} removed`)];
    this.log(`updated broker ${broker}: ${changes.join(', ')}`);
    return { broker, set: Object.fromEntries(pairs), unset };
  }
}

/** Applies `changes` (null: remove) to the dynamic configs of broker `nodeId` (default: the lowest); resolves with its id. */
export async function alterBrokerConfigs(cluster: Cluster, nodeId: number | undefined, changes: { name: string; value: string | null }[]): Promise<number> {
  const broker = await chooseBroker(cluster, nodeId);
  await new Admin(cluster).alterBrokerConfigs(broker, changes);
  return broker;
}
