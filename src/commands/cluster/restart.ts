/**
 * `kb cluster restart --node N | --all`: stops the nodes (those running)
 * and starts them again from their recorded command lines
 * (cluster-node-command.ts states how).
 */
import { ClusterNodeCommand, type NodesResult } from '../../cli/cluster-node-command.ts';

export default class ClusterRestart extends ClusterNodeCommand {
  static override description = 'Restart a node (or every node) of the local cluster started by `kb cluster up`';
  static override examples = ['<%= config.bin %> cluster restart --node 3', '<%= config.bin %> cluster restart --all --data-dir /tmp/kb3'];

  async run(): Promise<NodesResult> {
    const { flags } = await this.parse(ClusterRestart);
    const target = await this.target(flags);
    const stopped = await this.stop(target.nodes, flags.timeout);
    return this.result(target, [...stopped, ...(await this.start(target, target.nodes, flags.timeout))]);
  }
}
