/**
 * kb on one node, one partition: a fresh `kb broker start` (the test
 * helper's, on a free loopback port) pinned to the server core, and on the
 * client core, in order: kcat (librdkafka) producing `records` lines of
 * `recordSize` bytes with acks=1, once to warm up and then
 * `kcatProduceRuns` times, each into a topic of its own; as often,
 * batch-replay.ts resending one pre-encoded batch (the broker's own
 * ceiling, each run into a topic of its own); `kb bench
 * produce` the same count and size with acks=1 into another; then
 * `kcat -C -e` reading each kcat topic back to the end and `kb bench
 * consume` reading its own. The broker's data (in `dir`) is deleted at the
 * end. kcat runs are timed by wall clock (librdkafka's start-up included;
 * the consumer from offset 0 with a short fetch.wait.max.ms, see below)
 * and their record counts are checked; kb bench reports its own figures.
 * Also returns kcat's and the broker's CPU time per produce run (kcat
 * busy all the time means kcat, not kb, set the pace; the broker's says
 * how much of its core the ingest took) and the broker's peak RSS over the
 * whole run. `kbThreeNodes` is the rf=3 acks=all case.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startBroker } from '../../test/helpers/broker.ts';
import { startCluster } from '../../test/helpers/cluster.ts';
import { waitForPartitions } from '../../test/helpers/cluster-metadata.ts';
import type { ConsumePerfResult } from '../../src/bench/consume-perf.ts';
import type { ProducePerfResult } from '../../src/bench/produce-perf.ts';
import { clientCore, kcatInputFile, onCore, peakRssMib, pin, processCpuSeconds, serverCore, timedRun } from './processes.ts';

const kbBin = path.join(import.meta.dirname, '../../bin/run.js');
/**
 * kcat -e stops at the first empty fetch at the end, which the broker parks
 * for fetch.wait.max.ms (librdkafka's default 500 ms, as Kafka does); a short
 * wait keeps that fixed pause out of the throughput figure.
 */
const kcatFetchWaitMs = 10;
/**
 * kcat reads from offset 0 (where the fresh topic begins), not `-o beginning`:
 * that asks librdkafka for an offset lookup, which in about one run in five
 * (6 of 30 here) it tries before the partition has joined its broker thread,
 * and then retries 500 ms later ("no current leader for partition" in
 * kcat -d fetch); an absolute offset needs no lookup (0 of 30 slow).
 */
const kcatConsumeFrom = '0';

export interface KbSingleNode {
  /** kcat's produce runs (each into a topic of its own), fastest first. */
  kcatProduce: KcatProduceRun[];
  /** batch-replay.ts's runs (each into a topic of its own), fastest first. */
  replayProduce: ReplayRun[];
  kbProduce: ProducePerfResult;
  /** kcat's consume runs (one per kcat topic), fastest first. */
  kcatConsume: KcatRun[];
  kbConsume: ConsumePerfResult;
  brokerPeakRssMib: number | null;
}

/** Times kcat produces into kb (each into a fresh topic): one run varies up to 2x on this VM, so figures are read from the median. */
export const kcatProduceRuns = 3;
/**
 * The kcat produce run before the timed ones, into a topic of its own and
 * not counted: a fresh broker's first run also pays for memory touched the
 * first time (its buffer pools, V8's heap), which a broker that has been
 * running does not; it measured up to 1.5x slower than the runs after it.
 */
const warmUpTopic = 'warm-up';

export interface KcatRun {
  seconds: number;
  /** kcat's user + system CPU time: near `seconds`, kcat itself was the bottleneck. */
  cpuSeconds: number;
}

export interface ReplayRun {
  /** From the first request to the last answer (batch-replay.ts's own clock: no process start-up). */
  seconds: number;
  /** The broker's user + system CPU time (all threads) over the run: how much of its core the ingest took. */
  brokerCpuSeconds: number;
}

export interface KcatProduceRun extends KcatRun, ReplayRun {}

const fastestFirst = <Run extends { seconds: number }>(runs: Run[]) => runs.sort((a, b) => a.seconds - b.seconds);
const batchReplay = path.join(import.meta.dirname, 'batch-replay.ts');

export async function kbSingleNode(dir: string, records: number, recordSize: number, timeLimitMs: number): Promise<KbSingleNode> {
  const input = kcatInputFile(dir, records, recordSize);
  const dataDir = path.join(dir, `kb-${recordSize}`);
  const broker = await startBroker({ dataDir });
  try {
    pin(broker.process.pid!, serverCore);
    const kb = (args: string[], settle = true) => timedRun(onCore(clientCore, [process.execPath, kbBin, ...args, '-b', broker.address]), { timeLimitMs, settle });
    const runTopics = (name: string) => Array.from({ length: kcatProduceRuns }, (_, i) => `${name}-${i + 1}`);
    const kcatTopics = runTopics('kcat');
    const replayTopics = runTopics('replay');
    for (const topic of [warmUpTopic, ...kcatTopics, ...replayTopics, 'kb']) await kb(['topic', 'create', topic, '--partitions', '1'], false);
    const kcat = (topic: string, args: string[]) => onCore(clientCore, ['kcat', '-b', broker.address, '-t', topic, '-p', '0', ...args]);
    const withBrokerCpu = async <Run extends { seconds: number }>(run: () => Promise<Run>): Promise<Run & { brokerCpuSeconds: number }> => {
      const before = processCpuSeconds(broker.process.pid!);
      const done = await run();
      return { ...done, brokerCpuSeconds: processCpuSeconds(broker.process.pid!) - before };
    };

    await timedRun(kcat(warmUpTopic, ['-P', '-X', 'acks=1']), { stdinFile: input, timeLimitMs });
    const kcatProduce: KcatProduceRun[] = [];
    for (const topic of kcatTopics) kcatProduce.push(await withBrokerCpu(() => timedRun(kcat(topic, ['-P', '-X', 'acks=1']), { stdinFile: input, timeLimitMs })));
    const replayProduce: ReplayRun[] = [];
    for (const topic of replayTopics) {
      const replay = onCore(clientCore, [process.execPath, batchReplay, broker.address, topic, String(records), String(recordSize)]);
      replayProduce.push(await withBrokerCpu(async () => ({ seconds: JSON.parse((await timedRun(replay, { timeLimitMs })).stdout).seconds as number })));
    }
    const kbProduce = JSON.parse((await kb(['bench', 'produce', '--topic', 'kb', '--records', String(records), '--record-size', String(recordSize), '--acks', '1', '--json'])).stdout);
    const kcatConsume: KcatRun[] = [];
    for (const topic of kcatTopics) {
      const run = await timedRun(kcat(topic, ['-C', '-o', kcatConsumeFrom, '-e', '-q', '-f', '.', '-X', `fetch.wait.max.ms=${kcatFetchWaitMs}`]), { timeLimitMs });
      if (run.stdout.length !== records) throw new Error(`kcat read ${run.stdout.length} records back from ${topic}, expected ${records}`);
      kcatConsume.push(run);
    }
    const kbConsume = JSON.parse((await kb(['bench', 'consume', '--topic', 'kb', '--json'])).stdout);
    return { kcatProduce: fastestFirst(kcatProduce), replayProduce: fastestFirst(replayProduce), kbProduce, kcatConsume: fastestFirst(kcatConsume), kbConsume, brokerPeakRssMib: peakRssMib(broker.process.pid!) };
  } finally {
    await broker.stop();
    // Left on disk, this data slowed the later 3-node runs up to 2x (the VM reclaiming its cold page cache meanwhile).
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * kb on three nodes (every node a voter): one partition with rf=3, kcat
 * producing `records` of `recordSize` bytes with acks=all once the ISR is
 * full, timed by wall clock like the single node's kcat runs (as many, each
 * into a topic of its own, after a warm-up run; fastest first). `pinned`: all
 * three nodes on the server core and kcat on the client core; otherwise
 * nodes and kcat are left to the OS scheduler (three busy servers do not
 * fit one core).
 */
export async function kbThreeNodes(dir: string, records: number, recordSize: number, timeLimitMs: number, pinned: boolean): Promise<KcatRun[]> {
  const input = kcatInputFile(dir, records, recordSize);
  const cluster = await startCluster({ nodes: 3 });
  try {
    if (pinned) for (const id of cluster.nodeIds) pin(cluster.node(id).process.pid!, serverCore);
    const run = async (topic: string) => {
      await timedRun([process.execPath, kbBin, 'topic', 'create', topic, '--partitions', '1', '--rf', '3', '-b', cluster.bootstrap], { timeLimitMs, settle: false });
      await waitForPartitions(cluster.bootstrap, topic, 'the ISR is full', (ps) => ps[0].isr.length === 3);
      const kcat = ['kcat', '-b', cluster.bootstrap, '-t', topic, '-p', '0', '-P', '-X', 'acks=all'];
      return timedRun(pinned ? onCore(clientCore, kcat) : kcat, { stdinFile: input, timeLimitMs });
    };
    await run(warmUpTopic);
    const runs: KcatRun[] = [];
    for (let i = 1; i <= kcatProduceRuns; i++) runs.push(await run(`rf3-${i}`));
    return fastestFirst(runs);
  } finally {
    await cluster.stop();
  }
}
