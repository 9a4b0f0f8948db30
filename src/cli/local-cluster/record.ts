/**
 * A local development cluster's directory and its record (`kb cluster up`/
 * `down`). Layout of DIR: `cluster.json` (this record, present while the
 * cluster is up) and one data dir per node, `node-<id>/`, holding that
 * node's `broker.log` (its stdout and stderr, appended across runs).
 *
 * cluster.json (JSON, replaced atomically: storage/atomic-write.ts):
 *   { version: 1, startedAt: ISO time, bootstrap: "h:p,...", voters: "1@h:p,...",
 *     nodes: [{ nodeId, pid, host, port, peerPort, dataDir, log, command }] }  (paths absolute)
 * `port` is the node's client listener, `peerPort` its peer listener (its
 * --voters entry; absent in records of older kb versions).
 * `command` is the node's whole command line (program first), which
 * `kb cluster start` runs again; `pid` is that of its last start.
 *
 * `planCluster` turns the operator's request into the nodes to start: ids
 * 1..N, every node a voter, each started as
 * `kb broker start --node-id i --listen host:port --voters ... --data-dir DIR/node-i [--set k=v]...`
 * where `--voters` names every node's peer listener (`i@host:peerPort`).
 * (`kb` being the command line that runs this kb, see cli/self-command.ts).
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { formatHostPort } from '../../net/host-port.ts';
import { writeFileAtomically } from '../../storage/atomic-write.ts';
import { nodeStorageFs } from '../../storage/fs.ts';

export const defaultClusterDir = 'kb-cluster';
export const clusterFileName = 'cluster.json';
export const brokerLogName = 'broker.log';
const recordVersion = 1;

export interface NodeRecord {
  nodeId: number;
  pid: number;
  host: string;
  /** The client listener's port. */
  port: number;
  /** The peer listener's port (the node's --voters entry). */
  peerPort: number;
  dataDir: string;
  log: string;
  /** The command line that runs the node: program, then its arguments. */
  command: string[];
}

export interface ClusterRecord {
  version: number;
  startedAt: string;
  bootstrap: string;
  voters: string;
  nodes: NodeRecord[];
}

export type NodePlan = Omit<NodeRecord, 'pid'>;

export interface ClusterPlan {
  dir: string;
  bootstrap: string;
  voters: string;
  nodes: NodePlan[];
}

/**
 * The nodes to start in `dir` (made absolute), node i+1 listening on `host`
 * at `ports[i]` for clients and at `peerPorts[i]` for peers, each run by
 * `kb` with its arguments.
 */
export function planCluster(options: {
  dir: string;
  host: string;
  ports: readonly number[];
  peerPorts: readonly number[];
  sets: readonly string[];
  kb: (args: readonly string[]) => string[];
}): ClusterPlan {
  const dir = path.resolve(options.dir);
  const { host } = options;
  const addresses = options.ports.map((port, i) => ({ nodeId: i + 1, host, port, peerPort: options.peerPorts[i] }));
  const voters = addresses.map((a) => `${a.nodeId}@${formatHostPort({ host, port: a.peerPort })}`).join(',');
  const bootstrap = addresses.map(formatHostPort).join(',');
  const nodes = addresses.map(({ nodeId, port, peerPort }) => {
    const dataDir = path.join(dir, `node-${nodeId}`);
    const args = ['broker', 'start', '--node-id', String(nodeId), '--listen', formatHostPort({ host, port }), '--voters', voters, '--data-dir', dataDir];
    for (const set of options.sets) args.push('--set', set);
    return { nodeId, host, port, peerPort, dataDir, log: path.join(dataDir, brokerLogName), command: options.kb(args) };
  });
  return { dir, bootstrap, voters, nodes };
}

export function clusterFile(dir: string): string {
  return path.join(path.resolve(dir), clusterFileName);
}

/** The record in `dir`, or null when there is none; a record that is not ours is an error naming the file. */
export async function readClusterRecord(dir: string): Promise<ClusterRecord | null> {
  const file = clusterFile(dir);
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let record;
  try {
    record = JSON.parse(text) as ClusterRecord;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); remove it if no cluster runs from ${path.dirname(file)}`);
  }
  if (record?.version !== recordVersion || !Array.isArray(record.nodes) || !record.nodes.every(isNodeRecord)) {
    throw new Error(`${file} is not a kb cluster record (version ${recordVersion}); remove it if no cluster runs from ${path.dirname(file)}`);
  }
  return record;
}

/** What stopping a node needs; `command` (absent in records of older kb versions) is checked by `runnable` when a node is started. */
function isNodeRecord(node: NodeRecord): boolean {
  return Number.isInteger(node?.nodeId) && Number.isInteger(node.pid) && typeof node.dataDir === 'string' && typeof node.log === 'string';
}

/** The node's command line; an error naming the file when the record has none (written by an older kb). */
export function runnable(dir: string, node: NodeRecord): string[] {
  const { command } = node;
  if (Array.isArray(command) && command.length > 0 && command.every((a) => typeof a === 'string')) return command;
  throw new Error(`${clusterFile(dir)} records no command line for node ${node.nodeId} (an older kb wrote it): stop the cluster with kb cluster down and start it again with kb cluster up`);
}

export async function writeClusterRecord(dir: string, record: ClusterRecord): Promise<void> {
  await writeFileAtomically(nodeStorageFs, clusterFile(dir), Buffer.from(`${JSON.stringify(record, null, 2)}\n`));
}

export async function removeClusterRecord(dir: string): Promise<void> {
  await rm(clusterFile(dir), { force: true });
}

export function newClusterRecord(plan: ClusterPlan, pids: readonly number[]): ClusterRecord {
  return {
    version: recordVersion,
    startedAt: new Date().toISOString(),
    bootstrap: plan.bootstrap,
    voters: plan.voters,
    nodes: plan.nodes.map((node, i) => ({ ...node, pid: pids[i] })),
  };
}
