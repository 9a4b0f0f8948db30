/**
 * `kb cluster up`: starts a local development cluster of N nodes, every one
 * a voter, as detached `kb broker start` processes listening on 127.0.0.1:
 * node i's client listener on --base-port + i - 1, its peer listener on
 * --base-port + N + i - 1 (--base-port 0: free ports chosen by the OS), with
 * their data and logs under --data-dir (see src/cli/local-cluster/record.ts),
 * authenticating to each other with the cluster secret it generates there
 * on first use (`cluster.secret`).
 * All nodes are started before any is waited for (a quorum cannot form
 * until a majority runs); the command returns when every node has logged
 * its startup line, printing the bootstrap list and the `kb console` command
 * that watches the cluster. If a node exits or is late,
 * the nodes started are stopped again and the error shows that node's log.
 * Refuses (exit 1) while a cluster recorded in the directory still runs.
 */
import { Flags } from '@oclif/core';
import { KbLocalCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { formatHostPort } from '../../net/host-port.ts';
import { renderTable } from '../../cli/output.ts';
import { kbCommandLine } from '../../cli/self-command.ts';
import { freePorts } from '../../cli/local-cluster/ports.ts';
import { defaultClusterDir, ensureClusterSecret, newClusterRecord, planCluster, readClusterRecord, removeClusterRecord, writeClusterRecord, type ClusterRecord } from '../../cli/local-cluster/record.ts';
import { NodeStartError, runningPid, spawnNodes, stopAfterFailureMs, stopNodes, waitForStartup } from '../../cli/local-cluster/supervisor.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

const host = '127.0.0.1';
const nodesMax = 32;

export default class ClusterUp extends KbLocalCommand {
  static override description = 'Start a local cluster of N nodes (all voters) as background processes';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> cluster up --nodes 3',
    '<%= config.bin %> cluster up --nodes 3 --base-port 0 --data-dir /tmp/kb3 --set num.partitions=3',
  ];

  static override flags = {
    nodes: Flags.integer({ description: 'number of nodes (node ids 1..N)', default: 3, min: 1, max: nodesMax }),
    'base-port': Flags.integer({ description: 'port of node 1; node i serves clients on base+i-1 and peers on base+N+i-1 (0: free ports)', default: 9092, min: 0, max: 65535 }),
    'data-dir': Flags.string({ description: 'directory for cluster.json and the nodes\' data dirs (node-<id>/)', default: defaultClusterDir }),
    set: Flags.string({ description: 'a broker config setting key=value for every node (repeatable)', multiple: true, default: [] }),
    timeout: Flags.integer({ description: 'milliseconds to wait for every node to start', default: 60_000, min: 1, max: int32Max }),
  };

  async run(): Promise<ClusterRecord> {
    const { flags } = await this.parse(ClusterUp);
    const dir = flags['data-dir'];
    const portCount = 2 * flags.nodes;
    if (flags['base-port'] > 0 && flags['base-port'] + portCount - 1 > 65535) {
      throw new UsageError(`--base-port ${flags['base-port']} leaves no room for ${portCount} ports (a client and a peer port per node); choose a lower one (or 0 for free ports)`);
    }
    for (const set of flags.set) if (!set.includes('=')) throw new UsageError(`--set: "${set}" is not key=value`);

    const existing = await readClusterRecord(dir); // an unreadable record: exit 1 naming the file
    const running = (existing?.nodes ?? []).flatMap((n) => {
      const pid = runningPid(n);
      return pid === null ? [] : [`node ${n.nodeId} pid ${pid}`];
    });
    if (running.length > 0) {
      throw new UserError(`a cluster started from ${dir} is still running (${running.join(', ')}); stop it first: kb cluster down --data-dir ${dir}`);
    }

    const allPorts = flags['base-port'] === 0 ? await freePorts(host, portCount) : Array.from({ length: portCount }, (_, i) => flags['base-port'] + i);
    const [ports, peerPorts] = [allPorts.slice(0, flags.nodes), allPorts.slice(flags.nodes)];
    const plan = planCluster({ dir, host, ports, peerPorts, sets: flags.set, kb: kbCommandLine });
    await ensureClusterSecret(dir);
    if (process.stderr.isTTY) process.stderr.write(`starting ${flags.nodes} node(s) in ${plan.dir} ...\n`);
    const started = spawnNodes(plan.nodes);
    const record = newClusterRecord(plan, started.map((s) => s.pid));
    await writeClusterRecord(dir, record);
    try {
      await waitForStartup(started, flags.timeout);
    } catch (err) {
      const outcomes = await stopNodes(record.nodes, stopAfterFailureMs);
      const stopped = outcomes.filter((n) => n.outcome !== 'not running').map((n) => `node ${n.nodeId} (pid ${n.pid}): ${n.outcome}`);
      await removeClusterRecord(dir);
      if (!(err instanceof NodeStartError)) throw err;
      throw new UserError(`${err.message}\n${stopped.length > 0 ? `Stopped the others: ${stopped.join(', ')}.` : 'No other node was running.'}`);
    }

    this.log(`started ${record.nodes.length} node(s) in ${plan.dir} (logs: node-<id>/broker.log)\n`);
    this.log(renderTable(['NODE', 'PID', 'ADDRESS', 'PEER ADDRESS'], record.nodes.map((n) => [n.nodeId, n.pid, formatHostPort(n), formatHostPort({ host: n.host, port: n.peerPort })])));
    this.log(`\nbootstrap: ${record.bootstrap}\n(export KB_BROKERS=${record.bootstrap}; stop with: kb cluster down --data-dir ${dir})`);
    this.log(`web console: kb console -b ${record.bootstrap}`);
    return record;
  }
}
