/**
 * Cost as partitions grow, on one kb node (pinned to the server core): for
 * each count, a fresh broker and a topic of that many partitions, then
 * `producers` kcat processes at once (on the client core, librdkafka's
 * default partitioner spreading unkeyed records over every partition), each
 * producing its share of `records` values of `recordSize` bytes with
 * acks=1. Measured: the aggregate ingest (all records over the wall time of
 * the slowest producer), the broker's RSS and open file descriptors after
 * the load (/proc), and the start-up time of a broker restarted on that
 * data: from spawning `kb broker start` until every partition takes a
 * produce (serving.ts). The broker's max.broker.partitions (4000 by
 * default) is raised to the count where it is lower.
 */
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startBroker } from '../../test/helpers/broker.ts';
import { brokerConfigDefinitions } from '../../src/broker/config.ts';
import { kcatProducers } from './kcat-producers.ts';
import { pin, processCpuSeconds, residentMib, serverCore } from './processes.ts';
import { createTopic, untilServing } from './serving.ts';


const defaultMaxBrokerPartitions = Number(brokerConfigDefinitions['max.broker.partitions'].default);

export interface PartitionsPoint {
  partitions: number;
  recordsPerSec: number;
  mbPerSec: number;
  brokerBusy: number;
  rssMib: number;
  openFds: number;
  startSeconds: number;
}

export async function partitionsCurve(dir: string, counts: number[], producers: number, records: number, recordSize: number, timeLimitMs: number): Promise<PartitionsPoint[]> {
  const points: PartitionsPoint[] = [];
  for (const partitions of counts) {
    const dataDir = path.join(dir, `kb-partitions-${partitions}`);
    const sets = { 'max.broker.partitions': Math.max(partitions, defaultMaxBrokerPartitions) };
    let broker = await startBroker({ dataDir, sets });
    try {
      pin(broker.process.pid!, serverCore);
      await createTopic(broker.address, 'scaling', partitions);
      await untilServing(broker.address, 'scaling', partitions, timeLimitMs);
      const cpuBefore = processCpuSeconds(broker.process.pid!);
      const seconds = await kcatProducers(dir, broker.address, 'scaling', producers, records, recordSize, timeLimitMs);
      const brokerBusy = (processCpuSeconds(broker.process.pid!) - cpuBefore) / seconds;
      const rssMib = residentMib(broker.process.pid!);
      const openFds = readdirSync(`/proc/${broker.process.pid}/fd`).length;
      await broker.stop();
      const started = performance.now();
      broker = await startBroker({ dataDir, sets, startTimeoutMs: timeLimitMs });
      await untilServing(broker.address, 'scaling', partitions, timeLimitMs);
      const startSeconds = (performance.now() - started) / 1000;
      points.push({ partitions, recordsPerSec: records / seconds, mbPerSec: (records * recordSize) / 2 ** 20 / seconds, brokerBusy, rssMib, openFds, startSeconds });
    } finally {
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  return points;
}
