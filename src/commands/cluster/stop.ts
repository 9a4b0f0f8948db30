/**
 * `kb cluster stop --node N | --all`: stops nodes of the local cluster
 * (cluster-node-command.ts states how); cluster.json stays, so `kb cluster
 * start` can bring them back. Exit 1 when node N is not running.
 */
import { ClusterNodeCommand, type NodesResult } from '../../cli/cluster-node-command.ts';
import { UserError } from '../../cli/kb-command.ts';
import { runningPid } from '../../cli/local-cluster/supervisor.ts';

export default class ClusterStop extends ClusterNodeCommand {
  static override description = 'Stop a node (or every node) of the local cluster started by `kb cluster up`';
  static override examples = ['<%= config.bin %> cluster stop --node 3', '<%= config.bin %> cluster stop --all --data-dir /tmp/kb3'];

  async run(): Promise<NodesResult> {
    const { flags } = await this.parse(ClusterStop);
    const target = await this.target(flags);
    if (!flags.all && runningPid(target.nodes[0]) === null) throw new UserError(`node ${target.nodes[0].nodeId} is not running`);
    return this.result(target, await this.stop(target.nodes, flags.timeout));
  }
}
