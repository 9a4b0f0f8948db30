/**
 * Locating the external programs tests depend on. A test that needs a tool
 * calls `requireTool`: when the tool is missing the test fails with a message
 * naming the package to install, unless KB_SKIP_INTEROP=1 is set locally (then
 * it is skipped with that reason). CI sets KB_REQUIRE_INTEROP=1, which
 * overrides KB_SKIP_INTEROP so a missing tool always fails there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Debian's python3, which sees python3-kafka and python3-confluent-kafka (a pyenv python3 on PATH does not). */
export const debianPython = '/usr/bin/python3';

/** Debian's libfaketime (package faketime), preloaded to step a process's wall clock. */
export const libfaketime = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

export interface Tool {
  name: string;
  /** How to check it is there: a command line that must exit 0. */
  probe: string[];
  install: string;
}

export const tools = {
  kcat: { name: 'kcat', probe: ['kcat', '-V'], install: 'apt-get install kcat' },
  kafkaPython: {
    name: 'kafka-python',
    probe: [debianPython, '-c', 'import kafka'],
    install: 'apt-get install python3-kafka',
  },
  confluentKafka: {
    name: 'confluent-kafka',
    probe: [debianPython, '-c', 'import confluent_kafka'],
    install: 'apt-get install python3-confluent-kafka',
  },
  burrow: {
    name: 'Burrow',
    probe: ['/usr/bin/test', '-x', '/usr/bin/Burrow'],
    install: 'apt-get install burrow',
  },
  zookeeper: {
    name: 'ZooKeeper (for Burrow)',
    probe: ['/bin/sh', '-c', 'test -r /usr/share/java/zookeeper.jar && java -version'],
    install: 'apt-get install zookeeper',
  },
  kafkaGo: {
    name: 'kafka-go',
    probe: ['/bin/sh', '-c', 'go version && test -d /usr/share/gocode/src/github.com/segmentio/kafka-go'],
    install: 'apt-get install golang-go golang-github-segmentio-kafka-go-dev',
  },
  zsh: { name: 'zsh', probe: ['zsh', '--version'], install: 'apt-get install zsh' },
  fish: { name: 'fish', probe: ['fish', '--version'], install: 'apt-get install fish' },
  chromium: {
    name: 'Chromium (for the console browser tests)',
    probe: ['/usr/bin/test', '-x', '/usr/bin/chromium'],
    install: 'apt-get install chromium',
  },
  redis: {
    name: 'redis-server and redis-benchmark',
    probe: ['/bin/sh', '-c', 'redis-server --version && redis-benchmark --version'],
    install: 'apt-get install redis-server redis-tools',
  },
  natsServer: { name: 'nats-server', probe: ['nats-server', '--version'], install: 'apt-get install nats-server' },
  natsGo: {
    name: 'nats.go (for the bench\'s NATS publisher)',
    probe: ['/bin/sh', '-c', 'go version && test -d /usr/share/gocode/src/github.com/nats-io/nats.go'],
    install: 'apt-get install golang-go golang-github-nats-io-go-nats-dev',
  },
  libfaketime: {
    name: 'libfaketime',
    probe: ['/usr/bin/test', '-r', libfaketime],
    install: 'apt-get install faketime',
  },
} satisfies Record<string, Tool>;

const probed = new Map<string, boolean>();

function present(tool: Tool): boolean {
  if (!probed.has(tool.name)) {
    const [cmd, ...args] = tool.probe;
    const ok = (cmd.startsWith('/') ? existsSync(cmd) : true) && spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
    probed.set(tool.name, ok);
  }
  return probed.get(tool.name)!;
}

/** Returns true when the tool is there; otherwise fails the test, or skips it under KB_SKIP_INTEROP=1 outside CI. */
export function requireTool(t: TestContext, tool: Tool): boolean {
  if (present(tool)) return true;
  const message = `${tool.name} is not installed (${tool.install}); .ci/run installs it`;
  if (process.env.KB_SKIP_INTEROP === '1' && process.env.KB_REQUIRE_INTEROP !== '1') {
    t.skip(message);
    return false;
  }
  throw new Error(message);
}
