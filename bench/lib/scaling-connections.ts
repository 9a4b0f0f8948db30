/**
 * Cost of many mostly idle connections, on one kb node (pinned to the
 * server core): for each count (ascending), this process opens connections
 * until that many are open (each completes kb's client handshake,
 * ApiVersions, then sits idle), then measures the broker's RSS and a busy
 * client's latency (busy-client.ts on the client core: `requests`
 * sequential 1 KiB produces, after one unmeasured run of it on the fresh
 * broker). Count 0 is the baseline the goal compares against. The broker
 * runs under `ulimit -n` of the largest count plus `spareFds`, and with
 * max.connections.per.ip raised as far (all come from 127.0.0.1); this
 * process cannot raise its own limit, so a soft limit below that fails
 * with an error saying to raise `ulimit -n`.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startBroker } from '../../test/helpers/broker.ts';
import type { BrokerConnection } from '../../src/net/connection.ts';
import { clientCore, onCore, pin, residentMib, serverCore, timedRun } from './processes.ts';
import { connectionTo, createTopic } from './serving.ts';

const busyClient = path.join(import.meta.dirname, 'busy-client.ts');
/** File descriptors beyond the connections: the broker's logs, listeners, this process's own. */
const spareFds = 1024;
/** Connections opened at once while filling up to a count. */
const connectingAtOnce = 100;

export interface ConnectionsPoint {
  connections: number;
  rssMib: number;
  p50Ms: number;
  p99Ms: number;
}

export async function connectionsCurve(dir: string, counts: number[], requests: number, timeLimitMs: number): Promise<ConnectionsPoint[]> {
  const needed = Math.max(...counts) + spareFds;
  const limit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Number.POSITIVE_INFINITY);
  if (limit < needed) throw new Error(`${Math.max(...counts)} connections need an open-file limit of ${needed}: run \`ulimit -n ${needed}\` first (it is ${limit})`);
  const dataDir = path.join(dir, 'kb-connections');
  // Every connection comes from 127.0.0.1, which kb limits to max.connections.per.ip (1000) by default.
  const broker = await startBroker({ dataDir, openFileLimit: needed, sets: { 'max.connections.per.ip': needed } });
  const idle: BrokerConnection[] = [];
  try {
    pin(broker.process.pid!, serverCore);
    await createTopic(broker.address, 'busy', 1);
    const busy = () => timedRun(onCore(clientCore, [process.execPath, busyClient, broker.address, 'busy', String(requests)]), { timeLimitMs });
    // A fresh broker answers its first requests slower (JIT, first touches): that would flatter the first count's baseline.
    await busy();
    const points: ConnectionsPoint[] = [];
    for (const count of [...counts].sort((a, b) => a - b)) {
      while (idle.length < count) {
        const batch = Array.from({ length: Math.min(connectingAtOnce, count - idle.length) }, () => connectionTo(broker.address, 'kb-bench-idle'));
        idle.push(...batch);
        await Promise.all(batch.map((c) => c.connect()));
      }
      const latency = JSON.parse((await busy()).stdout) as { p50Ms: number; p99Ms: number };
      points.push({ connections: count, rssMib: residentMib(broker.process.pid!), p50Ms: latency.p50Ms, p99Ms: latency.p99Ms });
    }
    return points;
  } finally {
    for (const c of idle) c.close();
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
