/**
 * Starts a real `kb console` child process for a test, on a free loopback
 * port (`--listen 127.0.0.1:0`, read back from its start line `kb console
 * on http://...`), against `brokers`. `command` runs another kb (the
 * single executable) instead of bin/run.js. `api(path, init)` calls its
 * JSON API and returns the status, headers and parsed body. Register
 * `stop` with `t.after` so it is stopped even when the test fails.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './tools.ts';

export interface RunningConsole {
  /** http://127.0.0.1:PORT/ */
  url: string;
  log(): string;
  api(apiPath: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>;
  stop(): Promise<void>;
}

const startLine = /kb console on (http:\/\/\S+\/)/;

export async function startConsole(options: { brokers: string; args?: string[]; env?: NodeJS.ProcessEnv; command?: string[] }): Promise<RunningConsole> {
  const [command, ...prefix] = options.command ?? [process.execPath, path.join(repoRoot, 'bin/run.js')];
  const child = spawn(command, [...prefix, 'console', '-b', options.brokers, '--listen', '127.0.0.1:0', ...(options.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, XDG_CONFIG_HOME: path.join(os.tmpdir(), 'kb-tests-have-no-profiles'), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kb console did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = () => {
      const match = startLine.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve(match[1]);
    };
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`kb console exited (${code ?? signal}) before serving:\n${output}`));
    });
  });
  return {
    url,
    log: () => output,
    api: async (apiPath, init = {}) => {
      const headers: Record<string, string> = { ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...init.headers };
      const response = await fetch(new URL(`api/${apiPath}`, url), { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: the text (the assertion shows it)
      }
      return { status: response.status, headers: response.headers, body };
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
