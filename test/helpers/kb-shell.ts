/**
 * Runs a bash pipeline in which `kb` is the real CLI (bin/run.js on the Node
 * running the tests, or the executable given as `kb`), for tests of
 * `kb ... | kb ...` and `| head` behaviour. Bounded like every helper run;
 * NO_COLOR is set so output is plain.
 */
import path from 'node:path';
import { run, type RunResult } from './process.ts';
import { repoRoot } from './tools.ts';

export function kbShell(script: string, options: { env?: NodeJS.ProcessEnv; kb?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const kb = options.kb ? `"${options.kb}"` : `"${process.execPath}" "${path.join(repoRoot, 'bin/run.js')}"`;
  return run('bash', ['-o', 'pipefail', '-c', `kb() { ${kb} "$@"; }\n${script}`], {
    env: { NO_COLOR: '1', ...options.env },
    timeoutMs: options.timeoutMs,
  });
}
