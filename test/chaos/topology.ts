/**
 * The fault suite's network: one network namespace per node (`kbchaos-N`),
 * each with a veth pair whose outer end sits on a bridge (`kbchaos-br`) in
 * the root namespace, addresses in 10.241.77.0/24 (the bridge .1, node N
 * .1N), which exists only on this machine. Clients run in the root namespace
 * and reach every node through the bridge; a partition is iptables DROP
 * rules (INPUT and OUTPUT) inside the nodes' namespaces between node
 * addresses, so clients still reach every node. `setUpTopology` first
 * removes leftovers of a crashed earlier run (killing the processes still in
 * its namespaces, by pid), refuses a subnet that overlaps a host route, and
 * returns a Topology whose `tearDown` removes everything; callers run it in
 * `finally`. A lock file holding the run's pid keeps a second run (which
 * would take the first's namespaces for leftovers) out. Needs root, iproute2 (`ip netns`) and iptables:
 * `missingPrerequisite()` names what is missing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const prefix = 'kbchaos';
const bridge = `${prefix}-br`;
const subnet = '10.241.77';
const bridgeAddress = `${subnet}.1`;
/** Held by the run using the network (its pid), so a second run fails instead of tearing down the first's. */
const lockFile = `/run/${prefix}.lock`;

export const namespaceOf = (node: number): string => `${prefix}-${node}`;
export const addressOf = (node: number): string => `${subnet}.${10 + node}`;

export interface Topology {
  nodes: number[];
  /** Cuts every link between a node of `a` and a node of `b` (both ways). */
  cut(a: number[], b: number[]): void;
  /** Removes every DROP rule: all nodes see each other again. */
  heal(): void;
  tearDown(): void;
}

function sh(args: string[], check = true): string {
  const result = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (check && result.status !== 0) {
    throw new Error(`${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr.trim()}`);
  }
  return result.stdout ?? '';
}

/** What stops the suite from building its network here, or null when nothing does. */
export function missingPrerequisite(): string | null {
  if (process.getuid?.() !== 0) return 'the chaos suite must run as root (it creates network namespaces)';
  for (const [tool, probe] of [['iproute2', ['ip', 'netns', 'list']], ['iptables', ['iptables', '-S']]] as const) {
    const result = spawnSync(probe[0], probe.slice(1), { stdio: 'ignore' });
    if (result.error || result.status !== 0) return `${tool} is missing or not working (apt-get install iproute2 iptables; .ci/run installs it)`;
  }
  return null;
}

/** Kills what a crashed run left in its namespaces and removes them and the bridge. */
function removeLeftovers(nodes: number[]): void {
  const existing = sh(['ip', 'netns', 'list']);
  for (const node of nodes) {
    const ns = namespaceOf(node);
    if (!new RegExp(`^${ns}\\b`, 'm').test(existing)) continue;
    for (const pid of sh(['ip', 'netns', 'pids', ns], false).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    sh(['ip', 'netns', 'del', ns], false);
  }
  if (sh(['ip', '-o', 'link', 'show'], false).includes(` ${bridge}:`)) sh(['ip', 'link', 'del', bridge]);
}

/** Throws when a host route (other than a default route) overlaps the suite's /24. */
function assertSubnetFree(): void {
  for (const line of sh(['ip', '-4', 'route', 'show']).split('\n')) {
    const dest = line.split(' ')[0];
    if (!dest || dest === 'default') continue;
    const [net, bitsText] = dest.split('/');
    // Two prefixes overlap when they agree on the bits of the shorter one.
    const scale = 2 ** (32 - Math.min(Number(bitsText ?? 32), 24));
    const toInt = (ip: string) => ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
    if (Math.floor(toInt(`${subnet}.0`) / scale) === Math.floor(toInt(net) / scale)) {
      throw new Error(`host route "${line}" overlaps the chaos suite's subnet ${subnet}.0/24`);
    }
  }
}

function lock(): void {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return;
  } catch {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    let alive = false;
    try {
      process.kill(holder, 0);
      alive = true;
    } catch {
      // the holder is gone: a crashed run
    }
    if (alive && holder !== process.pid) throw new Error(`another fault-suite run (pid ${holder}) is using the network; see ${lockFile}`);
    writeFileSync(lockFile, String(process.pid));
  }
}

export function setUpTopology(nodes: number[]): Topology {
  lock();
  const tearDown = () => {
    removeLeftovers(nodes);
    rmSync(lockFile, { force: true });
  };
  try {
    removeLeftovers(nodes);
    assertSubnetFree();
  } catch (err) {
    rmSync(lockFile, { force: true });
    throw err;
  }
  try {
    sh(['ip', 'link', 'add', bridge, 'type', 'bridge']);
    sh(['ip', 'addr', 'add', `${bridgeAddress}/24`, 'dev', bridge]);
    sh(['ip', 'link', 'set', bridge, 'up']);
    for (const node of nodes) {
      const ns = namespaceOf(node);
      const outer = `${prefix}-v${node}`;
      sh(['ip', 'netns', 'add', ns]);
      sh(['ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      sh(['ip', 'link', 'set', outer, 'master', bridge, 'up']);
      sh(['ip', '-n', ns, 'addr', 'add', `${addressOf(node)}/24`, 'dev', 'eth0']);
      sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (err) {
    tearDown();
    throw err;
  }
  const iptables = (node: number, ...args: string[]) => sh(['ip', 'netns', 'exec', namespaceOf(node), 'iptables', ...args]);
  return {
    nodes,
    cut: (a, b) => {
      for (const x of a) {
        for (const y of b) {
          for (const [from, to] of [[x, y], [y, x]]) {
            iptables(from, '-A', 'INPUT', '-s', addressOf(to), '-j', 'DROP');
            iptables(from, '-A', 'OUTPUT', '-d', addressOf(to), '-j', 'DROP');
          }
        }
      }
    },
    heal: () => {
      for (const node of nodes) {
        iptables(node, '-F', 'INPUT');
        iptables(node, '-F', 'OUTPUT');
      }
    },
    tearDown,
  };
}
