/**
 * Runs a Python script of test/interop/scripts/ with Debian's python3 (the
 * one that sees python3-kafka and python3-confluent-kafka). The script gets
 * one argument, a JSON object, and prints one JSON object as the last line
 * of stdout; anything else it prints (client logs) goes to stderr. The
 * result is returned parsed; a non-zero exit, a timeout or output that is
 * not JSON fails with the script's stderr.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { debianPython, repoRoot } from './tools.ts';
import { describeRun, run } from './process.ts';

export const scriptsDir = path.join(repoRoot, 'test/interop/scripts');

export async function runPythonScript<T>(script: string, input: unknown, timeoutMs = 60_000): Promise<T> {
  const result = await run(debianPython, [path.join(scriptsDir, script), JSON.stringify(input)], {
    timeoutMs,
    env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
  assert.equal(result.code, 0, `python script ${script} failed:\n${describeRun(result)}`);
  const lines = result.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]) as T;
  } catch {
    assert.fail(`python script ${script} did not end its output with a JSON line:\n${describeRun(result)}`);
  }
}

/**
 * What test/interop/scripts/confluent_steady_producer.py prints: acked
 * entries are [value, partition, offset, ms of the delivery report on the
 * monotonic clock].
 */
export interface SteadyProducerOutput {
  sent: number;
  acked: [value: string, partition: number, offset: number, ms: number][];
  failed: [value: string, error: string][];
  undelivered: number;
  errors: string[];
}
