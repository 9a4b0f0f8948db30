/**
 * Runs an external program (kcat, Debian's python3) for an interop test and
 * collects its exit status and output. Every run is bounded: after
 * `timeoutMs` the program is killed with SIGKILL and the result says
 * `timedOut`, so a broker that never answers fails the test instead of
 * hanging it.
 */
import { spawn } from 'node:child_process';

export interface RunResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const shown = [command, ...args].map((a) => (/^[\w@%:./=,+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ command: shown, code, signal, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => {}); // the program may exit before reading all its input
    child.stdin.end(options.input ?? '');
  });
}

/** A one-paragraph account of a run, for assertion messages. */
export function describeRun(result: RunResult, tail = 4000): string {
  const status = result.timedOut ? `timed out (killed)` : result.signal ? `killed by ${result.signal}` : `exit ${result.code}`;
  const clip = (s: string) => (s.length > tail ? `...${s.slice(-tail)}` : s);
  return `${result.command}\n-> ${status}\n--- stderr ---\n${clip(result.stderr)}\n--- stdout ---\n${clip(result.stdout)}`;
}
