/**
 * `kb cluster start --node N | --all`: starts stopped nodes of the local
 * cluster again from their recorded command lines (cluster-node-command.ts
 * states how). Exit 1 when node N already runs; with --all the nodes that
 * run are left alone ("already running").
 */
import { ClusterNodeCommand, type NodeOutcome, type NodesResult } from '../../cli/cluster-node-command.ts';
import { UserError } from '../../cli/kb-command.ts';
import { runningPid } from '../../cli/local-cluster/supervisor.ts';

export default class ClusterStart extends ClusterNodeCommand {
  static override description = 'Start a stopped node (or every stopped node) of the local cluster started by `kb cluster up`';
  static override examples = ['<%= config.bin %> cluster start --node 3', '<%= config.bin %> cluster start --all --data-dir /tmp/kb3'];

  async run(): Promise<NodesResult> {
    const { flags } = await this.parse(ClusterStart);
    const target = await this.target(flags);
    const running: NodeOutcome[] = target.nodes.flatMap((n) => {
      const pid = runningPid(n);
      return pid === null ? [] : [{ nodeId: n.nodeId, pid, outcome: 'already running' as const }];
    });
    if (!flags.all && running.length > 0) throw new UserError(`node ${running[0].nodeId} is already running (pid ${running[0].pid})`);
    for (const n of running) this.log(`node ${n.nodeId} (pid ${n.pid}): already running`);
    const stopped = target.nodes.filter((n) => !running.some((r) => r.nodeId === n.nodeId));
    return this.result(target, [...running, ...(await this.start(target, stopped, flags.timeout))]);
  }
}
