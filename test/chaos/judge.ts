/**
 * Runs one scenario and judges its history with the checker: the verdict,
 * the nodes that crashed (a crash fails the scenario too), what the
 * scenario expected and did not see (the `none` nemesis must see no
 * election: nothing but load, so a leader change there is a false fencing;
 * that fails it too), what the run noticed, where its files are, and the
 * command that replays its schedule. A run whose checker verdict is ok has its nodes' data dirs
 * removed (history and logs stay, they are small); a failed one keeps all.
 * `prerequisiteProblem` says what this machine lacks for the chosen nemeses.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { debianPython } from '../helpers/tools.ts';
import { check, type Verdict } from './checker.ts';
import type { NemesisName } from './nemesis.ts';
import { libfaketime } from './nodes.ts';
import { runScenario, type WorkloadName } from './scenario.ts';
import { missingPrerequisite } from './topology.ts';
import type { Acks } from './workload.ts';

export interface Judged {
  nemesis: NemesisName;
  seed: number;
  acks: Acks;
  workload: WorkloadName;
  dir: string;
  replay: string;
  /** The checker's verdict; undefined when the scenario itself failed (`error`). */
  verdict?: Verdict;
  error?: string;
  notes: string[];
  /** Nodes that exited by themselves (scenario.ts). */
  crashes: string[];
  /** What the scenario expected of the cluster and did not see, or null. */
  unmet: string | null;
  /** The verdict is ok, no node crashed and nothing expected was unmet. */
  ok: boolean;
}

/** The scenario's name in reports: the nemesis, the workload when not plain and the acks when not all. */
export function scenarioName(judged: Pick<Judged, 'nemesis' | 'acks' | 'workload'>): string {
  return `${judged.nemesis}${judged.workload === 'plain' ? '' : ` ${judged.workload}`}${judged.acks === 'all' ? '' : ` acks=${judged.acks}`}`;
}

function replayCommand(nemesis: NemesisName, seed: number, durationMs: number, acks: Acks, workload: WorkloadName): string {
  const options = `${acks === 'all' ? '' : ` --acks ${acks}`}${workload === 'plain' ? '' : ` --workload ${workload}`}`;
  return `npm run chaos -- --duration ${Math.round(durationMs / 1000)} --seed ${seed} --nemesis ${nemesis}${options}`;
}

/** The none nemesis injects nothing: any election while it runs is a fencing under load alone (issue #20, item 8). */
export function unmetExpectation(nemesis: NemesisName, verdict: Verdict): string | null {
  if (nemesis !== 'none') return null;
  const { elections } = verdict;
  if (elections.unobserved !== null) return `the none nemesis must see no election, but ${elections.unobserved}`;
  if (elections.count === 0) return null;
  return `the none nemesis saw ${elections.count} leadership change(s), a fencing or election under load alone: ${elections.examples.join('; ')}`;
}

export function prerequisiteProblem(nemeses: readonly NemesisName[]): string | null {
  const network = missingPrerequisite();
  if (network) return network;
  if (spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0) return 'kcat is missing (apt-get install kcat)';
  if (spawnSync(debianPython, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status !== 0) {
    return 'confluent-kafka is missing (apt-get install python3-confluent-kafka)';
  }
  if (nemeses.includes('clock-step') && !existsSync(libfaketime)) return `${libfaketime} is missing (apt-get install libfaketime)`;
  return null;
}

export async function judge(options: { nemesis: NemesisName; seed: number; durationMs: number; acks: Acks; workload: WorkloadName; dir: string }): Promise<Judged> {
  const { nemesis, seed, acks, workload, dir } = options;
  const replay = replayCommand(nemesis, seed, options.durationMs, acks, workload);
  const judged: Judged = { nemesis, seed, acks, workload, dir, replay, notes: [], crashes: [], unmet: null, ok: false };
  try {
    const result = await runScenario(options);
    judged.notes = result.notes;
    judged.crashes = result.crashes;
    judged.verdict = check(result.events);
    judged.unmet = unmetExpectation(nemesis, judged.verdict);
    judged.ok = judged.verdict.ok && judged.crashes.length === 0 && judged.unmet === null;
  } catch (err) {
    judged.error = err instanceof Error ? err.message : String(err);
  }
  if (judged.ok) {
    await Promise.all([1, 2, 3].map((id) => rm(path.join(dir, `node-${id}`), { recursive: true, force: true })));
  }
  return judged;
}
