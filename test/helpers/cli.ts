/**
 * Runs the real `kb` CLI (bin/run.js on the Node running the tests) as a
 * child process and collects its exit code, stdout and stderr. Unless the
 * caller's env says otherwise, kb sees no profiles (XDG_CONFIG_HOME is a
 * directory that does not exist) and no KB_PROFILE or KB_SASL_PASSWORD of
 * the person running the tests. `runKbTimed` also says how long kb took,
 * for tests that bound how fast it gives up.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './tools.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runKb(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/run.js'), ...args], {
      cwd: repoRoot,
      env: { ...isolatedEnv(), NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export async function runKbTimed(args: string[], options: Parameters<typeof runKb>[1] = {}): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const result = await runKb(args, options);
  return { ...result, ms: Date.now() - started };
}

function isolatedEnv(): NodeJS.ProcessEnv {
  const { KB_PROFILE: _profile, KB_SASL_PASSWORD: _password, ...env } = process.env;
  return { ...env, XDG_CONFIG_HOME: path.join(os.tmpdir(), 'kb-tests-have-no-profiles') };
}
