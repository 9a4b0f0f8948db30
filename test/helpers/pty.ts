/**
 * Runs a command on a pseudo-terminal (util-linux `script`, so no native
 * addon is needed) for tests of interactive prompts: `expect(pattern)` waits
 * until the terminal output (ANSI escapes removed) matches, `type(text)`
 * sends keystrokes ("\r" is Enter), `exited` resolves with the exit code.
 * Bounded: the command is killed after `timeoutMs`.
 */
import { spawn } from 'node:child_process';

export interface PtySession {
  expect(pattern: RegExp, timeoutMs?: number): Promise<string>;
  type(text: string): void;
  output(): string;
  exited: Promise<number | null>;
}

const ansi = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]/g;

/** Runs `argv` (joined into a shell command line) on a fresh PTY. */
export function onPty(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): PtySession {
  const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
  const child = spawn('script', ['-qfec', argv.map(quote).join(' '), '/dev/null'], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString('utf8');
    for (const wake of waiters) wake();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.stdin.on('error', () => {});
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(killer);
      for (const wake of waiters) wake();
      resolve(code);
    }),
  );
  const clean = () => text.replace(ansi, '');
  return {
    output: clean,
    type: (keys) => child.stdin.write(keys),
    exited,
    expect: (pattern, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(clean());
          if (match) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(match[0]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`exited before ${pattern} appeared; output:\n${clean()}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${pattern} did not appear within ${timeoutMs} ms; output:\n${clean()}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
