/**
 * `npm run chaos -- [--duration S] [--seed N] [--nemesis NAME,...] [--acks all|1] [--workload plain|txn] [--dir DIR]`:
 * runs each chosen nemesis (default: all) in turn for S seconds of faults
 * with the chosen workload (default plain: idempotent producers and a group
 * member; txn: transactional producer and live readers, scenario.ts)
 * (default 60) against a fresh cluster, judges each history with the
 * checker, prints the report table and writes report.json beside each
 * scenario's history and logs under the run directory (default a new
 * kb-chaos-<seed>-* in the temp dir). The seed (default: a fresh one) drives
 * every nemesis's schedule; a failed scenario prints it with the command that
 * replays it, and keeps its data dirs. Exit status 0 when every scenario
 * passed (judge.ts: the verdict is ok, no node crashed, the `none` nemesis
 * saw no election), 1 otherwise, 2 on a usage error or a missing
 * prerequisite (root, iproute2, iptables, libfaketime, kcat, confluent-kafka).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { judge, prerequisiteProblem, scenarioName } from './judge.ts';
import { nemesisNames, type NemesisName } from './nemesis.ts';
import { formatAnomalies, formatJson, formatTable, reportRow, type ReportRow } from './report.ts';
import { workloadNames, type WorkloadName } from './scenario.ts';
import type { Acks } from './workload.ts';

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run chaos -- [--duration S] [--seed N] [--nemesis ${nemesisNames.join(',')}] [--acks all|1] [--workload ${workloadNames.join('|')}] [--dir DIR]\n`);
  process.exit(2);
}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        duration: { type: 'string', default: '60' },
        seed: { type: 'string' },
        nemesis: { type: 'string', default: nemesisNames.join(',') },
        acks: { type: 'string', default: 'all' },
        workload: { type: 'string', default: 'plain' },
        dir: { type: 'string' },
      },
    }).values;
  } catch (err) {
    usage((err as Error).message);
  }
  const duration = Number(parsed.duration);
  if (!Number.isInteger(duration) || duration < 1 || duration > 24 * 3600) usage(`--duration must be whole seconds from 1 to 86400, not ${parsed.duration}`);
  const seed = parsed.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(parsed.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) usage(`--seed must be an integer from 0 to 4294967295, not ${parsed.seed}`);
  const nemeses = parsed.nemesis.split(',').filter(Boolean);
  const unknown = nemeses.filter((n) => !(nemesisNames as string[]).includes(n));
  if (unknown.length > 0 || nemeses.length === 0) usage(`unknown nemesis ${unknown.join(',') || '(none given)'}; choose from ${nemesisNames.join(',')}`);
  if (parsed.acks !== 'all' && parsed.acks !== '1') usage(`--acks must be all or 1, not ${parsed.acks}`);
  if (!(workloadNames as readonly string[]).includes(parsed.workload)) usage(`--workload must be ${workloadNames.join(' or ')}, not ${parsed.workload}`);
  if (parsed.workload === 'txn' && parsed.acks !== 'all') usage('--workload txn writes with acks=all (transactions need it)');
  return { durationMs: duration * 1000, seed, nemeses: nemeses as NemesisName[], acks: parsed.acks as Acks, workload: parsed.workload as WorkloadName, dir: parsed.dir };
}

const { durationMs, seed, nemeses, acks, workload, dir } = options();
const problem = prerequisiteProblem(nemeses);
if (problem) {
  process.stderr.write(`cannot run the fault suite: ${problem}\n`);
  process.exit(2);
}
const runDir = dir ?? mkdtempSync(path.join(os.tmpdir(), `kb-chaos-${seed}-`));
mkdirSync(runDir, { recursive: true });
process.stderr.write(`fault suite: seed ${seed}, ${durationMs / 1000} s per nemesis, ${workload} workload, acks=${acks}, run directory ${runDir}\n`);

const rows: ReportRow[] = [];
let failed = false;
for (const nemesis of nemeses) {
  process.stderr.write(`${nemesis}: running\n`);
  const judged = await judge({ nemesis, seed, durationMs, acks, workload, dir: path.join(runDir, nemesis) });
  const { ok } = judged;
  failed ||= !ok;
  if (judged.verdict) {
    const crashed = judged.crashes.length > 0 ? `, ${judged.crashes.length} crashed` : '';
    const row = { ...reportRow(`${scenarioName(judged)}${crashed}`, seed, judged.verdict), ok };
    rows.push(row);
    writeFileSync(path.join(judged.dir, 'report.json'), `${formatJson([row])}\n`);
  }
  process.stderr.write(`${nemesis}: ${ok ? 'ok' : 'FAILED'}\n`);
  if (judged.error) process.stderr.write(`  the scenario failed: ${judged.error}\n`);
  if (judged.verdict && !judged.verdict.ok) process.stderr.write(`${formatAnomalies(judged.verdict).replace(/^/gm, '  ')}\n`);
  if (judged.unmet) process.stderr.write(`  ${judged.unmet}\n`);
  for (const crash of judged.crashes) process.stderr.write(`  crash: ${crash}\n`);
  for (const note of judged.notes) process.stderr.write(`  note: ${note}\n`);
  if (!ok) process.stderr.write(`  seed ${seed}; replay: ${judged.replay}\n  logs, history and data kept in ${judged.dir}\n`);
}
writeFileSync(path.join(runDir, 'report.json'), `${formatJson(rows)}\n`);
process.stdout.write(`${formatTable(rows)}\n`);
process.stderr.write(`report: ${path.join(runDir, 'report.json')}\n`);
process.exitCode = failed ? 1 : 0;
