/**
 * Process plumbing for the comparison bench: Debian packages installed when
 * a command is missing (apt-get, as root), free loopback ports, CPU pinning
 * (servers on one core, load generators on another, when there are two or
 * more and taskset exists), timed child runs bounded by a time limit (with
 * the CPU time the child used; the machine settled first: dirty pages
 * written out, memory freed moments before), servers
 * started and awaited on their port, peak RSS from /proc, and kcat's input
 * files. Every server
 * started here is stopped by its `stop()`, which callers run in `finally`.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const serverCore = 0;
export const clientCore = 1;
const pinning = os.availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** Installs `packages` with apt-get unless every command in `commands` exists; false when that fails. */
export function ensureDebianPackages(commands: string[], packages: string[]): boolean {
  if (commands.every(commandExists)) return true;
  process.stderr.write(`installing ${packages.join(' ')} with apt-get...\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, stdio: ['ignore', 'ignore', 'inherit'] }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    install();
  }
  return commands.every(commandExists);
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The command line to run `argv` on `core` (unchanged when pinning is not possible). */
export function onCore(core: number, argv: string[]): string[] {
  return pinning ? ['taskset', '-c', String(core), ...argv] : argv;
}

/** Pins every thread of a running process to `core`. */
export function pin(pid: number, core: number): void {
  if (pinning) execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

export interface TimedRun {
  seconds: number;
  /** The child's user + system CPU time (what the bench's ended children used across the run: exact while no other child ends meanwhile, as in the bench's one-at-a-time runs). */
  cpuSeconds: number;
  stdout: string;
}

/** A peer's ingest run: its server and its load generator, each with the CPU time it used. */
export interface PeerRun {
  records: number;
  /** The load generator's own figure where it has one (first send to last ack), else `wallSeconds`. */
  seconds: number;
  /** The load generator process's wall time, start-up included. */
  wallSeconds: number;
  serverCpuSeconds: number;
  generatorCpuSeconds: number;
}

/** A process this busy (CPU time / wall time, on its own core) is taken as the one that set the pace. */
export const saturatedBusy = 0.9;

/** Linux's clock ticks per second in /proc (USER_HZ). */
const ticksPerSecond = 100;

/** The fields of /proc/PID/stat after the command name, from state (field 3) on. */
function statFields(pid: number | 'self'): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
}

/** User + system CPU time of this process's children that have ended and been waited for (cutime + cstime). */
function endedChildrenCpuSeconds(): number {
  const fields = statFields('self');
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
}

/** User + system CPU time a live process has used so far, all its threads (utime + stime). */
export function processCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** How much memory `settle` frees moments before a measured run: more than a run's new pages (the 3-node runs write 3 x 200 MB into the page cache). */
const warmMemoryMib = 1024;

/**
 * Readies the machine for a measured run, the same way before every one:
 * - dirty pages are written out (sync): otherwise the kernel writes back an
 *   earlier run's data (gigabytes by the 3-node runs) during a later one;
 * - a child touches `warmMemoryMib` of memory and exits. This VM hands
 *   memory that stayed free for about 2 s back to its host (virtio-balloon
 *   free page reporting), and touching it again costs a host page fault:
 *   writing new data into the page cache ran at ~600 MB/s in such memory
 *   and ~4.5 GB/s in memory freed moments before. After this, the run's new
 *   pages (page cache, heaps) come from memory freed moments ago, whatever
 *   ran before it. Where memory is not handed back, this only costs the touch.
 * Without both, a run's figure depended on what had run before it.
 * KB_BENCH_SETTLE=0 skips it (the smoke test, which asserts no figure: a
 * sync waits for every other process's dirty pages too).
 */
export function settle(): void {
  if (process.env.KB_BENCH_SETTLE === '0') return;
  execFileSync('sync');
  const chunkMib = 64;
  execFileSync(process.execPath, ['-e', `const held = []; for (let i = 0; i < ${warmMemoryMib / chunkMib}; i++) held.push(Buffer.alloc(${chunkMib * 1024 * 1024}, 1));`]);
}

/**
 * Runs argv to completion with stdin from `stdinFile` (or nothing), stdout
 * collected (or to /dev/null); rejects on failure or after `timeLimitMs`.
 * The child reads `stdinFile` itself (its stdin is the open file), so no
 * process of the bench's own copies the input on some core meanwhile.
 * The machine is settled (`settle`) before the clock starts, unless
 * `settle` is false (a helper command, not a measured run).
 */
export function timedRun(argv: string[], options: { stdinFile?: string; discardStdout?: boolean; timeLimitMs: number; env?: NodeJS.ProcessEnv; settle?: boolean }): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const stdin = options.stdinFile === undefined ? 'ignore' : openSync(options.stdinFile, 'r');
    if (options.settle !== false) settle();
    const started = performance.now();
    const cpuBefore = endedChildrenCpuSeconds();
    const child = spawn(argv[0], argv.slice(1), { stdio: [stdin, options.discardStdout ? 'ignore' : 'pipe', 'pipe'], timeout: options.timeLimitMs, env: options.env ?? process.env });
    if (typeof stdin === 'number') closeSync(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve({ seconds, cpuSeconds: endedChildrenCpuSeconds() - cpuBefore, stdout });
      else reject(new Error(`${argv.join(' ').slice(0, 200)} failed (${code ?? signal}): ${stderr.slice(-2000)}`));
    });
  });
}

export interface RunningServer {
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a server and waits until `port` on 127.0.0.1 accepts connections. */
export async function startServer(argv: string[], port: number, startTimeoutMs = 20_000): Promise<RunningServer> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${argv[0]} exited (${child.exitCode}) before listening: ${stderr}`);
    if (await accepts(port)) return { process: child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${argv[0]} did not listen on ${port} within ${startTimeoutMs} ms: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
    socket.once('close', () => socket.destroy());
    socket.once('connect', () => socket.end());
  });
}

/** Resident set size of a live process in MiB now (VmRSS). */
export function residentMib(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}

/** Peak resident set size of a live process in MiB (VmHWM), or null. */
export function peakRssMib(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** The kcat -P input of `records` lines of `recordSize` bytes, written to `dir` once and reused. */
export function kcatInputFile(dir: string, records: number, recordSize: number): string {
  const file = path.join(dir, `kcat-input-${records}x${recordSize}.txt`);
  if (!existsSync(file)) writeFileSync(file, `${'x'.repeat(recordSize)}\n`.repeat(records));
  return file;
}
