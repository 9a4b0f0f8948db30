/**
 * The broker a per-broker command (kb config get|set) talks about: --broker
 * when given (checked against the cluster metadata), else the lowest node id
 * in the cluster.
 */
import type { Cluster } from '../client/cluster.ts';
import { UserError } from './kb-command.ts';

export async function chooseBroker(cluster: Cluster, wanted: number | undefined): Promise<number> {
  const ids = [...(await cluster.refreshMetadata([])).brokers.keys()].sort((a, b) => a - b);
  if (wanted === undefined) return ids[0];
  if (!ids.includes(wanted)) throw new UserError(`there is no broker ${wanted}: the brokers are ${ids.join(', ')} (see kb cluster info)`);
  return wanted;
}
