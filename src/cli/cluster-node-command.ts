/**
 * The base of `kb cluster stop|start|restart`: nodes of the local cluster
 * recorded in --data-dir (by `kb cluster up`), chosen with --node N or
 * --all, and the two steps those commands are made of.
 *
 * Stopping: SIGTERM to the process running each node (supervisor.ts finds
 * it and never signals a reused pid), SIGKILL after --timeout. Starting:
 * every node spawned from its recorded command line before any is waited
 * for (a quorum forms only once a majority runs), the new pids written to
 * cluster.json before the wait (a kb killed meanwhile leaves a record that
 * `down` can act on; a node it missed is still found by its data dir's
 * lock), then each node's startup line awaited for --timeout; a node that
 * exits or is late is stopped again and its log shown (exit 1).
 *
 * Usage errors (exit 2): neither or both of --node and --all, a node id the
 * record does not have. Exit 1: no cluster recorded in the directory.
 * Each command reports `{ dataDir, nodes: [{ nodeId, pid, outcome }] }`
 * (--json), one `node N (pid P): outcome` line per step otherwise.
 */
import path from 'node:path';
import { Flags } from '@oclif/core';
import { KbLocalCommand, UsageError, UserError } from './kb-command.ts';
import { defaultClusterDir, readClusterRecord, runnable, writeClusterRecord, type ClusterRecord, type NodeRecord } from './local-cluster/record.ts';
import { NodeStartError, spawnNodes, stopAfterFailureMs, stopNodes, waitForStartup, type StopOutcome } from './local-cluster/supervisor.ts';
import { int32Max } from '../protocol/wire-limits.ts';


export interface NodeOutcome {
  nodeId: number;
  pid: number;
  outcome: StopOutcome | 'started' | 'already running';
}

export interface NodesResult {
  dataDir: string;
  nodes: NodeOutcome[];
}

/** The cluster's directory and record, and the nodes the flags chose. */
export interface Target {
  dir: string;
  record: ClusterRecord;
  nodes: NodeRecord[];
}

export abstract class ClusterNodeCommand extends KbLocalCommand {
  static override enableJsonFlag = true;
  static override baseFlags = {
    'data-dir': Flags.string({ description: 'the directory given to `kb cluster up`', default: defaultClusterDir }),
    node: Flags.integer({ description: 'the id of the node', min: 1, exactlyOne: ['node', 'all'] }),
    all: Flags.boolean({ description: 'every node of the cluster', exactlyOne: ['node', 'all'] }),
    timeout: Flags.integer({ description: 'milliseconds to wait for a node to stop after SIGTERM (then SIGKILL), and to start', default: 30_000, min: 1, max: int32Max }),
    ...KbLocalCommand.baseFlags,
  };

  /** The nodes chosen by --node or --all. */
  protected async target(flags: { 'data-dir': string; node?: number; all?: boolean }): Promise<Target> {
    const dir = flags['data-dir'];
    const record = await readClusterRecord(dir); // an unreadable record: exit 1 naming the file
    if (!record) throw new UserError(`no cluster is recorded in ${dir} (no cluster.json): start one with kb cluster up --data-dir ${dir}`);
    if (flags.all) return { dir, record, nodes: record.nodes };
    const node = record.nodes.find((n) => n.nodeId === flags.node);
    if (!node) throw new UsageError(`--node ${flags.node}: the cluster in ${dir} has nodes ${record.nodes.map((n) => n.nodeId).join(', ')}`);
    return { dir, record, nodes: [node] };
  }

  /** Stops the nodes (see the header); a node that survives SIGKILL is an error. */
  protected async stop(nodes: readonly NodeRecord[], timeoutMs: number): Promise<NodeOutcome[]> {
    const stopped = await stopNodes(nodes, timeoutMs);
    for (const n of stopped) {
      if (n.outcome === 'killed') this.warn(`node ${n.nodeId} (pid ${n.pid}) did not stop within ${timeoutMs} ms of SIGTERM: killed with SIGKILL`);
      this.log(`node ${n.nodeId} (pid ${n.pid}): ${n.outcome}`);
    }
    const survivors = stopped.filter((n) => n.outcome === 'still running');
    if (survivors.length > 0) throw new UserError(`${survivors.map((n) => `node ${n.nodeId} (pid ${n.pid})`).join(', ')} still running after SIGKILL`);
    return stopped;
  }

  /** Starts the nodes from their recorded command lines and records their pids (see the header). */
  protected async start(target: Target, nodes: readonly NodeRecord[], timeoutMs: number): Promise<NodeOutcome[]> {
    const started = spawnNodes(nodes.map((n) => ({ ...n, command: runnable(target.dir, n) })));
    const pids = new Map(started.map((s) => [s.plan.nodeId, s.pid]));
    const record = { ...target.record, nodes: target.record.nodes.map((n) => ({ ...n, pid: pids.get(n.nodeId) ?? n.pid })) };
    await writeClusterRecord(target.dir, record);
    try {
      await waitForStartup(started, timeoutMs);
    } catch (err) {
      await stopNodes(record.nodes.filter((n) => pids.has(n.nodeId)), stopAfterFailureMs);
      throw err instanceof NodeStartError ? new UserError(err.message) : err;
    }
    const outcomes = started.map((s) => ({ nodeId: s.plan.nodeId, pid: s.pid, outcome: 'started' as const }));
    for (const n of outcomes) this.log(`node ${n.nodeId} (pid ${n.pid}): started`);
    return outcomes;
  }

  protected result(target: Target, nodes: NodeOutcome[]): NodesResult {
    return { dataDir: path.resolve(target.dir), nodes };
  }
}
