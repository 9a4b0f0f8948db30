/**
 * `kb cluster info`: cluster id, controller, and the brokers with address,
 * rack and status ('up': DescribeCluster lists the live brokers; 'controller'
 * marks the active controller).
 */
import { Admin } from '../../client/admin.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

export default class ClusterInfo extends KbCommand {
  static override description = 'Show the cluster id, controller and brokers';
  static override enableJsonFlag = true;

  async run() {
    const cluster = await new Admin(await this.cluster()).describeCluster();
    const brokers = cluster.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack, status: 'up', controller: b.brokerId === cluster.controllerId }));
    this.log(`CLUSTER     ${cluster.clusterId}\nCONTROLLER  ${cluster.controllerId}\n`);
    this.log(
      renderTable(
        ['NODE', 'ADDRESS', 'RACK', 'STATUS'],
        brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`, b.rack, b.controller ? `${b.status} (controller)` : b.status]),
      ),
    );
    return { clusterId: cluster.clusterId, controllerId: cluster.controllerId, brokers };
  }
}
