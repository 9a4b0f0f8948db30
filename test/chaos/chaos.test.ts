/**
 * The fault suite in `npm test`: every nemesis (but nemesis.ts's
 * `chaosRunOnly`) for `faultMs` against a fresh
 * cluster in network namespaces (scenario.ts), each history judged whole by
 * the checker, which must find nothing, no node may crash and the `none`
 * nemesis must see no election (judge.ts); the transactional workload
 * (txn-workload.ts) under kill-coordinator, which kills its transaction
 * coordinator (its history, with the read_uncommitted read standing in for
 * the read_committed one, must show aborted reads: aborted records reached
 * the log and the chain can see them); and the positive control: the
 * partition nemesis with acks=1 must show lost writes, proving the chain
 * (workload, nemesis, final read, checker) can see a loss. The seed is
 * KB_CHAOS_SEED or a fresh one; a failure names it, the command that replays
 * the schedule, and the run directory it keeps. Needs root, iproute2,
 * iptables and libfaketime: without them it fails, unless KB_SKIP_CHAOS=1
 * turns that into a skip (never under CI's KB_REQUIRE_INTEROP=1).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { check } from './checker.ts';
import { readHistory, type Event } from './history.ts';
import { judge, prerequisiteProblem, type Judged } from './judge.ts';
import { chaosRunOnly, nemesisNames, type NemesisName } from './nemesis.ts';
import { formatAnomalies } from './report.ts';
import type { WorkloadName } from './scenario.ts';
import type { Acks } from './workload.ts';

const faultMs = 25_000;
/** The transactional scenario's fault time: two or three coordinator kills. */
const txnFaultMs = 15_000;
const seed = Number(process.env.KB_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runDir = mkdtempSync(path.join(os.tmpdir(), `kb-chaos-test-${seed}-`));
const problem = prerequisiteProblem(nemesisNames);

function ready(t: TestContext): boolean {
  if (!problem) return true;
  if (process.env.KB_SKIP_CHAOS === '1' && process.env.KB_REQUIRE_INTEROP !== '1') {
    t.skip(problem);
    return false;
  }
  throw new Error(`${problem} (KB_SKIP_CHAOS=1 skips the fault suite locally)`);
}

/** What a failed run needs to say: anomalies with examples, seed, replay command, where the logs are. */
function account(judged: Judged): string {
  const lines = [`nemesis ${judged.nemesis}, seed ${judged.seed}: replay with \`${judged.replay}\`; logs kept in ${judged.dir}`];
  if (judged.error) lines.push(`the scenario failed: ${judged.error}`);
  if (judged.verdict && !judged.verdict.ok) lines.push(formatAnomalies(judged.verdict));
  if (judged.unmet) lines.push(judged.unmet);
  lines.push(...judged.crashes.map((crash) => `crash: ${crash}`), ...judged.notes);
  return lines.join('\n');
}

const scenario = (nemesis: NemesisName, acks: Acks, workload: WorkloadName = 'plain') => {
  const durationMs = workload === 'txn' ? txnFaultMs : faultMs;
  return judge({ nemesis, seed, durationMs, acks, workload, dir: path.join(runDir, `${nemesis}-${workload}-acks-${acks}`) });
};
/** A passed scenario's files are not needed; the run directory goes when all passed. */
const passed = (judged: Judged) => rm(judged.dir, { recursive: true, force: true });
after(() => {
  try {
    rmdirSync(runDir);
  } catch {
    // a failed scenario's files are in it
  }
});

describe('fault suite', { concurrency: 1 }, () => {
  for (const nemesis of nemesisNames.filter((n) => !chaosRunOnly.includes(n))) {
    test(`${nemesis}: the checker finds no anomaly and no node crashes`, { timeout: 10 * 60_000 }, async (t) => {
      if (!ready(t)) return;
      const judged = await scenario(nemesis, 'all');
      assert.ok(judged.ok, account(judged));
      assert.ok(judged.verdict!.acknowledged > 0, `nothing was acknowledged\n${account(judged)}`);
      await passed(judged);
    });
  }

  test('transactions: killing the transaction coordinator loses no committed transaction, shows no aborted one', { timeout: 10 * 60_000 }, async (t) => {
    if (!ready(t)) return;
    const judged = await scenario('kill-coordinator', 'all', 'txn');
    assert.ok(judged.ok, account(judged));
    assert.ok(judged.verdict!.committedTransactions > 0, `no transaction was committed\n${account(judged)}`);
    // Its positive control: had the final read_committed read been the read_uncommitted one, the checker would see aborted records.
    const events = await readHistory(path.join(judged.dir, 'history.jsonl'));
    const unisolated = events.flatMap((e): Event[] => {
      if (e.type !== 'read') return [e];
      return e.isolation === 'read_committed' ? [] : [e, { ...e, isolation: 'read_committed' }];
    });
    assert.ok(check(unisolated).abortedRead.count > 0, `no aborted record in the log: the chain cannot see an aborted read\n${account(judged)}`);
    await passed(judged);
  });

  test('positive control: isolating leaders with acks=1 loses acknowledged writes', { timeout: 10 * 60_000 }, async (t) => {
    if (!ready(t)) return;
    const judged = await scenario('partition-leader', '1');
    assert.ok(judged.verdict, account(judged));
    assert.ok(judged.verdict.lost.count > 0, `no write was lost: the chain cannot see a loss\n${account(judged)}`);
    await passed(judged);
  });
});
