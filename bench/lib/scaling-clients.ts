/**
 * Cost as clients grow, on one kb node (pinned to the server core) and a
 * topic of `partitions` partitions per run: for each count, that many kcat
 * producers at once (kcat-producers.ts: `records` values of `recordSize`
 * bytes in all, acks=1) into a fresh topic; then, on the topic the most
 * producers filled, for each count a new consumer group of that many
 * `kcat -G` members (client core) reading from the start. A group's time
 * runs from the first record any member prints to the moment the members
 * together have printed `records` (so joining the group, which waits for
 * the members to arrive, is not counted); a record that moves between
 * members in a rebalance may be counted twice, which the figure then
 * flatters slightly. Each returns records/s and the broker's busy share.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startBroker } from '../../test/helpers/broker.ts';
import { kcatProducers } from './kcat-producers.ts';
import { clientCore, onCore, pin, processCpuSeconds, serverCore } from './processes.ts';
import { createTopic } from './serving.ts';


export interface ClientsPoint {
  clients: number;
  recordsPerSec: number;
  brokerBusy: number;
}

export interface ClientsCurves {
  producers: ClientsPoint[];
  consumers: ClientsPoint[];
}

export async function clientsCurves(dir: string, counts: number[], partitions: number, records: number, recordSize: number, timeLimitMs: number): Promise<ClientsCurves> {
  const dataDir = path.join(dir, 'kb-clients');
  const broker = await startBroker({ dataDir });
  const pid = broker.process.pid!;
  const busy = async (work: () => Promise<number>): Promise<ClientsPoint & { seconds: number }> => {
    const before = processCpuSeconds(pid);
    const seconds = await work();
    return { clients: 0, seconds, recordsPerSec: records / seconds, brokerBusy: (processCpuSeconds(pid) - before) / seconds };
  };
  try {
    pin(pid, serverCore);
    const curves: ClientsCurves = { producers: [], consumers: [] };
    for (const count of counts) {
      const topic = `producers-${count}`;
      await createTopic(broker.address, topic, partitions);
      const point = await busy(() => kcatProducers(dir, broker.address, topic, count, records, recordSize, timeLimitMs));
      curves.producers.push({ ...point, clients: count });
    }
    const filled = `producers-${Math.max(...counts)}`;
    for (const count of counts) {
      const point = await groupConsume(broker.address, filled, `group-${count}`, count, records, timeLimitMs, () => processCpuSeconds(pid));
      curves.consumers.push({ ...point, clients: count });
    }
    return curves;
  } finally {
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Runs `members` kcat -G consumers until they have printed `records` records together (see the header). */
function groupConsume(address: string, topic: string, group: string, members: number, records: number, timeLimitMs: number, brokerCpu: () => number): Promise<Omit<ClientsPoint, 'clients'>> {
  const argv = onCore(clientCore, ['kcat', '-b', address, '-G', group, '-q', '-u', '-f', '.', '-X', 'auto.offset.reset=earliest', topic]);
  const children = Array.from({ length: members }, () => spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }));
  return new Promise((resolve, reject) => {
    let seen = 0;
    let first = 0;
    let cpuAtFirst = 0;
    let stderr = '';
    const exits = children.map((child) => new Promise<void>((closed) => child.once('close', () => closed())));
    let finished = false;
    /** Stops every member and settles once they have all exited, so the next group starts alone. */
    const finish = (error: Error | null, point?: Omit<ClientsPoint, 'clients'>) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const child of children) child.kill('SIGTERM');
      void Promise.all(exits).then(() => (error ? reject(error) : resolve(point!)));
    };
    const timer = setTimeout(() => finish(new Error(`group ${group} read ${seen} of ${records} records within ${timeLimitMs} ms: ${stderr.slice(-500)}`)), timeLimitMs);
    for (const child of children) {
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', (err) => finish(err));
      child.on('exit', (code) => {
        if (seen < records && code !== null && code !== 0) finish(new Error(`kcat -G exited (${code}): ${stderr.slice(-500)}`));
      });
      child.stdout!.on('data', (d: Buffer) => {
        if (seen === 0) {
          first = performance.now();
          cpuAtFirst = brokerCpu();
        }
        seen += d.length;
        if (seen >= records && seen - d.length < records) {
          const seconds = (performance.now() - first) / 1000;
          finish(null, { recordsPerSec: records / seconds, brokerBusy: (brokerCpu() - cpuAtFirst) / seconds });
        }
      });
    }
  });
}
