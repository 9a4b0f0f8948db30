/**
 * kb on one node, one partition: a fresh `kb broker start` (the test
 * helper's, on a free loopback port) pinned to the server core, and on the
 * client core, in order: kcat (librdkafka) producing `records` lines of
 * `recordSize` bytes with acks=1 to one topic, `kb bench produce` the same
 * count and size with acks=1 to another, then `kcat -C -e` and
 * `kb bench consume` reading each back to its end. kcat runs are timed by
 * wall clock (librdkafka's start-up included; the consumer with a short
 * fetch.wait.max.ms, see below) and their record counts are checked; kb bench reports its own figures. Also returns the broker's peak
 * RSS over the whole run. `kbThreeNodes` is the rf=3 acks=all case.
 */
import path from 'node:path';
import { startBroker } from '../../test/helpers/broker.ts';
import { startCluster } from '../../test/helpers/cluster.ts';
import { waitForPartitions } from '../../test/helpers/cluster-metadata.ts';
import type { ConsumePerfResult } from '../../src/bench/consume-perf.ts';
import type { ProducePerfResult } from '../../src/bench/produce-perf.ts';
import { clientCore, kcatInputFile, onCore, peakRssMib, pin, serverCore, timedRun } from './processes.ts';

const kbBin = path.join(import.meta.dirname, '../../bin/run.js');
/**
 * kcat -e stops at the first empty fetch at the end, which the broker parks
 * for fetch.wait.max.ms (librdkafka's default 500 ms, as Kafka does); a short
 * wait keeps that fixed pause out of the throughput figure.
 */
const kcatFetchWaitMs = 10;

export interface KbSingleNode {
  kcatProduceSeconds: number;
  kbProduce: ProducePerfResult;
  kcatConsumeSeconds: number;
  kbConsume: ConsumePerfResult;
  brokerPeakRssMib: number | null;
}

export async function kbSingleNode(dir: string, records: number, recordSize: number, timeLimitMs: number): Promise<KbSingleNode> {
  const input = kcatInputFile(dir, records, recordSize);
  const broker = await startBroker({ dataDir: path.join(dir, `kb-${recordSize}`) });
  try {
    pin(broker.process.pid!, serverCore);
    const kb = (args: string[]) => timedRun(onCore(clientCore, [process.execPath, kbBin, ...args, '-b', broker.address]), { timeLimitMs });
    for (const topic of ['kcat', 'kb']) await kb(['topic', 'create', topic, '--partitions', '1']);
    const kcat = (args: string[]) => onCore(clientCore, ['kcat', '-b', broker.address, '-t', 'kcat', '-p', '0', ...args]);

    const kcatProduce = await timedRun(kcat(['-P', '-X', 'acks=1']), { stdinFile: input, timeLimitMs });
    const kbProduce = JSON.parse((await kb(['bench', 'produce', '--topic', 'kb', '--records', String(records), '--record-size', String(recordSize), '--acks', '1', '--json'])).stdout);
    const kcatConsume = await timedRun(kcat(['-C', '-o', 'beginning', '-e', '-q', '-f', '.', '-X', `fetch.wait.max.ms=${kcatFetchWaitMs}`]), { timeLimitMs });
    if (kcatConsume.stdout.length !== records) throw new Error(`kcat read ${kcatConsume.stdout.length} records back, expected ${records}`);
    const kbConsume = JSON.parse((await kb(['bench', 'consume', '--topic', 'kb', '--json'])).stdout);
    return { kcatProduceSeconds: kcatProduce.seconds, kbProduce, kcatConsumeSeconds: kcatConsume.seconds, kbConsume, brokerPeakRssMib: peakRssMib(broker.process.pid!) };
  } finally {
    await broker.stop();
  }
}

/**
 * kb on three nodes (every node a voter): one partition with rf=3, kcat
 * producing `records` of `recordSize` bytes with acks=all once the ISR is
 * full, timed by wall clock like the single node's kcat run. `pinned`: all
 * three nodes on the server core and kcat on the client core; otherwise
 * nodes and kcat are left to the OS scheduler (three busy servers do not
 * fit one core).
 */
export async function kbThreeNodes(dir: string, records: number, recordSize: number, timeLimitMs: number, pinned: boolean): Promise<{ seconds: number }> {
  const input = kcatInputFile(dir, records, recordSize);
  const cluster = await startCluster({ nodes: 3 });
  try {
    if (pinned) for (const id of cluster.nodeIds) pin(cluster.node(id).process.pid!, serverCore);
    await timedRun([process.execPath, kbBin, 'topic', 'create', 'rf3', '--partitions', '1', '--rf', '3', '-b', cluster.bootstrap], { timeLimitMs });
    await waitForPartitions(cluster.bootstrap, 'rf3', 'the ISR is full', (ps) => ps[0].isr.length === 3);
    const kcat = ['kcat', '-b', cluster.bootstrap, '-t', 'rf3', '-p', '0', '-P', '-X', 'acks=all'];
    const produce = await timedRun(pinned ? onCore(clientCore, kcat) : kcat, { stdinFile: input, timeLimitMs });
    return { seconds: produce.seconds };
  } finally {
    await cluster.stop();
  }
}
