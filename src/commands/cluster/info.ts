/**
 * `kb cluster info`: cluster id, active controller, and each node: the live
 * brokers (DescribeCluster: registered and unfenced) with address, rack and
 * status 'up', plus the quorum voters that are not live (status 'offline',
 * address unknown), each with its role in the metadata quorum (leader,
 * follower, observer; null when the quorum cannot be described right now,
 * e.g. during an election). 'controller' marks the active controller.
 */
import { Admin } from '../../client/admin.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';
import { quorumStatus, type Replica } from '../../cli/quorum-status.ts';

export default class ClusterInfo extends KbCommand {
  static override description = 'Show the cluster id, controller and nodes with their quorum roles';
  static override enableJsonFlag = true;

  async run() {
    const admin = new Admin(await this.cluster());
    const [cluster, quorum] = await Promise.all([admin.describeCluster(), admin.describeQuorum().then(quorumStatus, () => null)]);
    const replicas = [...(quorum?.voters ?? []), ...(quorum?.observers ?? [])];
    const role = (id: number): Replica['status'] | null => replicas.find((r) => r.nodeId === id)?.status ?? null;
    const live = cluster.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host as string | null, port: b.port as number | null, rack: b.rack, status: 'up', quorum: role(b.brokerId) }));
    const offline = (quorum?.voters ?? [])
      .filter((v) => !live.some((b) => b.nodeId === v.nodeId))
      .map((v) => ({ nodeId: v.nodeId, host: null, port: null, rack: null, status: 'offline', quorum: v.status }));
    const brokers = [...live, ...offline].sort((a, b) => a.nodeId - b.nodeId).map((b) => ({ ...b, controller: b.nodeId === cluster.controllerId }));
    this.log(`CLUSTER     ${cluster.clusterId}\nCONTROLLER  ${cluster.controllerId < 0 ? 'none' : cluster.controllerId}\n`);
    this.log(
      renderTable(
        ['NODE', 'ADDRESS', 'RACK', 'STATUS', 'QUORUM'],
        brokers.map((b) => [b.nodeId, b.host === null ? null : `${b.host}:${b.port}`, b.rack, b.controller ? `${b.status} (controller)` : b.status, b.quorum]),
      ),
    );
    return { clusterId: cluster.clusterId, controllerId: cluster.controllerId, brokers };
  }
}
