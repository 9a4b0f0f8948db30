/**
 * The fault suite's clients, each logging what it does into the history
 * (recorder.ts), all in the root namespace talking to the nodes' addresses:
 * - two producers writing unique values `<process>:<seq>` at a bounded rate,
 *   idempotent with acks=all (or plain acks=1 for the positive control):
 *   kafkajs in this process (`kafkajs-1`, one send at a time, partition
 *   chosen by the workload) and
 *   confluent-kafka in Debian's python3 (`confluent-1`,
 *   scripts/confluent_producer.py);
 * - a kafkajs group member committing each batch synchronously (`member-1`);
 * - an observer fetching the group's committed offsets (`observer-1`).
 * `startWorkload` returns a Workload whose `stop()` stops the producers
 * (letting outstanding sends finish, bounded by the clients' timeouts) and
 * then the member and the observer; call it in `finally`. kafkajs logs go to
 * `<dir>/kafkajs.log`, librdkafka's to `<dir>/confluent.log`.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { debianPython } from '../helpers/tools.ts';
import type { Recorder } from './recorder.ts';

export type Acks = 'all' | '1';

export interface WorkloadOptions {
  dir: string;
  bootstrap: string;
  topic: string;
  group: string;
  acks: Acks;
  /** The topic's partition count. */
  partitions: number;
  /** Records per second, per producer. */
  rate: number;
  recorder: Recorder;
}

export interface Workload {
  stop(): Promise<void>;
}

const observeEveryMs = 500;
/** The python producer's flush is 60 s; past this it is killed. */
const confluentStopMs = 90_000;

/** Resolves with the settled promise's value, or rejects with `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function kafkajsClient(options: WorkloadOptions, clientId: string, log: NodeJS.WritableStream): Kafka {
  return new Kafka({
    clientId,
    brokers: options.bootstrap.split(','),
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 },
    logLevel: logLevel.INFO,
    logCreator: () => (entry: LogEntry) => void log.write(`${new Date().toISOString()} ${clientId} ${JSON.stringify(entry.log)}\n`),
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Connects kafkajs-1; resolves with its loop (`done`): one send at a time, paced to `rate`, until
 * `stopped()`. kafkajs does not advance an idempotent producer's sequence after a failed send, so
 * the next value would reuse it and, when the failed one was written after all, be "acknowledged" at
 * that one's offset: after a failure the producer is replaced (a new producer id). Each value goes to
 * an explicit partition (seq modulo the count), so a retry stays where its sequence number belongs.
 */
async function kafkajsProducer(options: WorkloadOptions, kafka: Kafka, stopped: () => boolean): Promise<{ done: Promise<void> }> {
  const name = 'kafkajs-1';
  const { recorder, topic } = options;
  const idempotent = options.acks === 'all';
  const create = () => kafka.producer({ idempotent, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  let producer = create();
  await within(producer.connect(), 30_000, 'kafkajs producer connect');
  let connected = true;
  const interval = 1000 / options.rate;
  const start = performance.now();
  const loop = async () => {
    try {
      for (let seq = 0; !stopped(); seq++) {
        const value = `${name}:${seq}`;
        recorder.record({ type: 'send', process: name, value });
        try {
          if (!connected) await producer.connect();
          connected = true;
          const messages = [{ value, partition: seq % options.partitions }];
          const [meta] = await producer.send({ topic, acks: idempotent ? -1 : 1, timeout: 10_000, messages });
          recorder.record({ type: 'ack', process: name, value, partition: meta.partition, offset: Number(meta.baseOffset) });
        } catch (err) {
          recorder.record({ type: 'fail', process: name, value, error: errorText(err) });
          await producer.disconnect().catch(() => {});
          producer = create();
          connected = false;
        }
        await sleep(Math.max(0, start + (seq + 1) * interval - performance.now()));
      }
    } finally {
      await producer.disconnect().catch(() => {});
    }
  };
  return { done: loop() };
}

/** confluent-1: the python producer, its events stamped as their lines arrive; it stops once `stopFile` exists. */
function confluentProducer(options: WorkloadOptions, stopFile: string): { done: Promise<void>; kill(): void } {
  const name = 'confluent-1';
  const input = { bootstrap: options.bootstrap, topic: options.topic, process: name, rate: options.rate, acks: options.acks, stop_file: stopFile };
  const child = spawn(debianPython, [path.join(import.meta.dirname, 'scripts/confluent_producer.py'), JSON.stringify(input)], {
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = path.join(options.dir, 'confluent.log');
  child.stderr.pipe(createWriteStream(log));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line) as { type: 'send' | 'ack' | 'fail'; value: string; partition?: number; offset?: number; error?: string };
    const { recorder } = options;
    if (event.type === 'send') recorder.record({ type: 'send', process: name, value: event.value });
    else if (event.type === 'ack') recorder.record({ type: 'ack', process: name, value: event.value, partition: event.partition!, offset: event.offset! });
    else recorder.record({ type: 'fail', process: name, value: event.value, error: event.error! });
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`confluent producer exited (${code ?? signal}); see ${log}`));
    });
  });
  return { done, kill: () => void child.kill('SIGKILL') };
}

/**
 * Starts member-1, a group member committing every batch synchronously (OffsetCommit awaited);
 * resolves with its disconnect. kafkajs restarts a crashed consumer, but not once `stopped()`.
 */
async function groupMember(options: WorkloadOptions, kafka: Kafka, stopped: () => boolean): Promise<() => Promise<void>> {
  const name = 'member-1';
  const { recorder, topic, group } = options;
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 500,
    allowAutoTopicCreation: false,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000, restartOnFailure: async () => !stopped() },
  });
  await within(consumer.connect(), 30_000, 'kafkajs consumer connect');
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      if (batch.isEmpty()) return;
      const offset = Number(batch.lastOffset()) + 1;
      const commit = { process: name, group, partition: batch.partition, offset };
      try {
        await consumer.commitOffsets([{ topic, partition: batch.partition, offset: String(offset) }]);
        recorder.record({ type: 'commit', ...commit, outcome: 'ok' });
      } catch {
        recorder.record({ type: 'commit', ...commit, outcome: 'fail' });
      }
    },
  });
  return () => consumer.disconnect().catch(() => {});
}

/** Connects observer-1; resolves with its loop (`done`): OffsetFetch of the group every half second, one at a time, until `stopped()`. */
async function observer(options: WorkloadOptions, kafka: Kafka, stopped: () => boolean): Promise<{ done: Promise<void> }> {
  const name = 'observer-1';
  const { recorder, topic, group } = options;
  const admin = kafka.admin();
  await within(admin.connect(), 30_000, 'kafkajs admin connect');
  const loop = async () => {
    try {
      while (!stopped()) {
        const t = recorder.now();
        try {
          const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
          for (const { partition, offset } of offsets.partitions) {
            recorder.record({ type: 'committed', process: name, group, partition, offset: Number(offset) }, t);
          }
        } catch {
          // unavailable: this observation is missing, which the checker does not need
        }
        await sleep(observeEveryMs);
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };
  return { done: loop() };
}

export async function startWorkload(options: WorkloadOptions): Promise<Workload> {
  const log = createWriteStream(path.join(options.dir, 'kafkajs.log'));
  const kafka = (id: string) => kafkajsClient(options, id, log);
  const stopFile = path.join(options.dir, 'producers.stop');
  let running = true;
  const producers: Promise<void>[] = [];
  const observers: Promise<void>[] = [];
  let confluent: ReturnType<typeof confluentProducer> | undefined;
  let disconnectMember = async () => {};
  const stop = async () => {
    running = false;
    writeFileSync(stopFile, '');
    const killer = setTimeout(() => confluent?.kill(), confluentStopMs);
    const results = await Promise.allSettled(producers);
    clearTimeout(killer);
    await disconnectMember();
    results.push(...(await Promise.allSettled(observers)));
    log.end();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  const track = (list: Promise<void>[], loop: Promise<void>) => {
    loop.catch(() => {}); // judged in stop()
    list.push(loop);
  };
  try {
    confluent = confluentProducer(options, stopFile);
    track(producers, confluent.done);
    track(producers, (await kafkajsProducer(options, kafka('kafkajs-1'), () => !running)).done);
    track(observers, (await observer(options, kafka('observer-1'), () => !running)).done);
    disconnectMember = await groupMember(options, kafka('member-1'), () => !running);
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  return { stop };
}
