/**
 * One fault-suite scenario from start to history: the network (topology.ts),
 * a fresh three-node cluster (nodes.ts, fast-failover settings, no topic
 * auto-creation), a topic of `partitions` partitions with rf=3 and
 * min.insync.replicas=2 (for `txn` also its copy stage's output topic, alike),
 * the workload (`plain`: workload.ts; `txn`: txn-workload.ts) running while the nemesis does its rounds for
 * `durationMs` (who leads what recorded just before and just after them;
 * kill-coordinator kills the group's coordinator, or the transactional
 * id's), then: heal everything (phase `heal`), stop the producers, wait for
 * the cluster to settle (and, for `txn`, for no transaction to be open),
 * the final complete read (read_uncommitted; for `txn` also read_committed,
 * and the output topic's as `copied` events), phase `end`, stop the nodes and dump every replica. A node that exits by
 * itself is restarted when the faults heal and listed in `crashes`.
 * Everything goes to `<dir>`: history.jsonl, node logs, client logs, data
 * dirs. The nodes and the network are torn down even when
 * the scenario fails. Judging the history is the caller's (checker.ts).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../helpers/process.ts';
import { repoRoot } from '../helpers/tools.ts';
import { fastFailover } from '../helpers/cluster.ts';
import type { Event } from './history.ts';
import { coordinatorOf, dumpReplicas, finalRead, recordLeadership, waitNoOpenTransactions, waitSettled } from './inspect.ts';
import { healAll, Rng, runNemesis, type NemesisName } from './nemesis.ts';
import { startNodes, type ClusterNodes } from './nodes.ts';
import { Recorder } from './recorder.ts';
import { setUpTopology } from './topology.ts';
import { startTxnWorkload, transactionalId } from './txn-workload.ts';
import { startWorkload, type Acks } from './workload.ts';

export const workloadNames = ['plain', 'txn'] as const;
export type WorkloadName = (typeof workloadNames)[number];

export interface ScenarioOptions {
  nemesis: NemesisName;
  seed: number;
  durationMs: number;
  acks: Acks;
  workload: WorkloadName;
  /** The scenario's own directory (created). */
  dir: string;
  /** Records per second per producer. */
  rate?: number;
}

export interface ScenarioResult {
  events: Event[];
  historyFile: string;
  /** Things the run noticed that the checker does not judge (e.g. the cluster did not settle). */
  notes: string[];
  /** Nodes that exited without the nemesis causing it: a node must survive every fault it is not killed by. */
  crashes: string[];
}

const ids = [1, 2, 3];
const topic = 'chaos';
/** The txn workload's copy stage writes here. */
const outTopic = 'chaos-out';
const partitions = 3;
const group = 'chaos-group';
const settleMs = 90_000;
/**
 * No auto-creation: a client asking for the topic before it is created must not make it with defaults.
 * Few internal partitions; transactions open past their timeout (the txn producer's: 10 s) are aborted within a second.
 */
const sets = {
  ...fastFailover,
  'offsets.topic.num.partitions': 5,
  'transaction.state.log.num.partitions': 5,
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1000,
  'auto.create.topics.enable': 'false',
};

async function createTopic(nodes: ClusterNodes, name: string): Promise<void> {
  const args = [path.join(repoRoot, 'bin/run.js'), 'topic', 'create', name, '-p', String(partitions), '-r', '3'];
  args.push('-c', 'min.insync.replicas=2', '--if-not-exists', '-b', nodes.bootstrap, '--timeout', '5000');
  const deadline = performance.now() + 60_000;
  for (;;) {
    const result = await run(process.execPath, args, { timeoutMs: 20_000 });
    if (result.code === 0) return;
    if (performance.now() > deadline) throw new Error(`could not create the topic: ${result.stderr.trim()}`);
    await sleep(1000);
  }
}

/** The final reads: read_uncommitted; for txn, once no transaction is open, also read_committed and the copy stage's output. */
async function readAll(bootstrap: string, txn: boolean, recorder: Recorder, notes: string[]): Promise<void> {
  if (txn) {
    const open = await waitNoOpenTransactions(bootstrap, [topic, outTopic], settleMs);
    if (open) notes.push(`transactions were still open ${settleMs} ms after the cluster settled: ${open}`);
  }
  for (const r of await finalRead(bootstrap, topic, 'read_uncommitted')) recorder.record({ type: 'read', ...r, isolation: 'read_uncommitted' });
  if (!txn) return;
  for (const r of await finalRead(bootstrap, topic, 'read_committed')) recorder.record({ type: 'read', ...r, isolation: 'read_committed' });
  for (const r of await finalRead(bootstrap, outTopic, 'read_committed')) recorder.record({ type: 'copied', ...r });
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  mkdirSync(options.dir, { recursive: true });
  const historyFile = path.join(options.dir, 'history.jsonl');
  const recorder = new Recorder(historyFile);
  const notes: string[] = [];
  let crashes: string[] = [];
  const faketime = options.nemesis === 'clock-step';
  const topology = setUpTopology(ids);
  let nodes: ClusterNodes | undefined;
  try {
    nodes = await startNodes({ dir: options.dir, ids, sets, faketime });
    const txn = options.workload === 'txn';
    for (const name of txn ? [topic, outTopic] : [topic]) await createTopic(nodes, name);
    const unsettled = await waitSettled(nodes.bootstrap, topic, ids.length, settleMs);
    if (unsettled) throw new Error(`the new topic did not get leaders and full ISRs within ${settleMs} ms: ${unsettled}`);
    const { bootstrap } = nodes;
    const common = { dir: options.dir, bootstrap, topic, partitions, rate: options.rate ?? 100, recorder };
    const workload = txn ? await startTxnWorkload({ ...common, outTopic, seed: options.seed }) : await startWorkload({ ...common, group, acks: options.acks });
    const coordinator = txn
      ? { what: 'transaction coordinator', find: () => coordinatorOf(bootstrap, '__transaction_state', transactionalId) }
      : { what: 'group coordinator', find: () => coordinatorOf(bootstrap, '__consumer_offsets', group) };
    const ctx = { nodes, topology, recorder, rng: new Rng(options.seed), topic, partitions, coordinator, sessionTimeoutMs: sets['broker.session.timeout.ms'] };
    try {
      await recordLeadership(nodes.bootstrap, topic, recorder);
      await runNemesis(options.nemesis, ctx, options.durationMs);
      await recordLeadership(nodes.bootstrap, topic, recorder);
    } finally {
      recorder.record({ type: 'phase', name: 'heal' });
      await healAll(ctx, faketime);
      await workload.stop();
    }
    const healed = await waitSettled(nodes.bootstrap, topic, ids.length, settleMs);
    if (healed) notes.push(`the cluster did not settle (leaders, full ISRs) within ${settleMs} ms of healing: ${healed}`);
    await readAll(nodes.bootstrap, txn, recorder, notes);
    recorder.record({ type: 'phase', name: 'end' });
    crashes = nodes.crashes();
    await nodes.stopAll();
    for (const id of ids) await dumpReplicas(id, nodes.dataDir(id), topic, recorder);
  } finally {
    await nodes?.stopAll();
    topology.tearDown();
    await recorder.close();
  }
  return { events: recorder.events, historyFile, notes, crashes };
}
