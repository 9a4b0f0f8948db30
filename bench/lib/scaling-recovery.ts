/**
 * Recovery after kill -9 against a clean restart, on one kb node (pinned to
 * the server core): a topic of `partitions` partitions gets at least
 * `bytes` of 1 KiB values from kcat (kcat-producers.ts, 4 producers, in
 * rounds of up to 256 MiB), the broker is killed with SIGKILL right after
 * the last acknowledgement (so it stops without its clean-shutdown work;
 * its writes are in the OS's page cache, which a process kill does not
 * lose), then started again and timed until every partition takes a
 * produce (serving.ts); then stopped with SIGTERM and timed the same way
 * from that clean stop.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../../test/helpers/broker.ts';
import { kcatProducers } from './kcat-producers.ts';
import { pin, serverCore } from './processes.ts';
import { createTopic, untilServing } from './serving.ts';

const recordSize = 1024;
const roundBytesMax = 256 * 2 ** 20;
const producers = 4;

export interface Recovery {
  bytesWritten: number;
  afterKillSeconds: number;
  afterCleanStopSeconds: number;
}

export async function recovery(dir: string, partitions: number, bytes: number, timeLimitMs: number): Promise<Recovery> {
  const dataDir = path.join(dir, 'kb-recovery');
  let broker: RunningBroker = await startBroker({ dataDir });
  const restart = async (): Promise<number> => {
    const started = performance.now();
    broker = await startBroker({ dataDir, startTimeoutMs: timeLimitMs });
    pin(broker.process.pid!, serverCore);
    await untilServing(broker.address, 'recovery', partitions, timeLimitMs);
    return (performance.now() - started) / 1000;
  };
  try {
    pin(broker.process.pid!, serverCore);
    await createTopic(broker.address, 'recovery', partitions);
    let written = 0;
    while (written < bytes) {
      const roundRecords = Math.max(producers, Math.ceil(Math.min(roundBytesMax, bytes - written) / recordSize));
      await kcatProducers(dir, broker.address, 'recovery', producers, roundRecords, recordSize, timeLimitMs);
      written += roundRecords * recordSize;
    }
    await broker.kill();
    const afterKillSeconds = await restart();
    await broker.stop();
    const afterCleanStopSeconds = await restart();
    return { bytesWritten: written, afterKillSeconds, afterCleanStopSeconds };
  } finally {
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
