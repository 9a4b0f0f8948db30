/**
 * The fault suite's clients, each logging what it does into the history
 * (recorder.ts), all in the root namespace talking to the nodes' addresses:
 * - two producers writing unique values `<process>:<seq>` at a bounded rate,
 *   idempotent with acks=all (or plain acks=1 for the positive control):
 *   kafkajs in this process (`kafkajs-1`, one send at a time, partition
 *   chosen by the workload) and
 *   confluent-kafka in Debian's python3 (`confluent-1`,
 *   scripts/confluent_producer.py);
 * - a confluent-kafka group member committing each batch synchronously
 *   (`member-1`, scripts/confluent_member.py; kafkajs' consumer spun at full
 *   CPU and hung its disconnect after a partition healed);
 * - a kafkajs observer fetching the group's committed offsets (`observer-1`).
 * `startWorkload` returns a Workload whose `stop()` stops the producers
 * (letting outstanding sends finish, bounded by the clients' timeouts) and
 * then the member and the observer; call it in `finally`. `startClients`
 * (that stop order) and `pythonClient` serve txn-workload.ts too. kafkajs logs go to
 * `<dir>/kafkajs.log`, librdkafka's to `<dir>/confluent_*.log` (with the
 * producer's debug contexts from KB_CHAOS_RDKAFKA_DEBUG, e.g. "eos,msg,protocol").
 */
import { spawn } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
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
/** The python producer's flush is 60 s; past this the python clients are killed. */
const pythonStopMs = 90_000;
/** A kafkajs disconnect that takes longer is abandoned. */
const disconnectMs = 15_000;

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

function kafkajsClient(options: WorkloadOptions, clientId: string, log: Writable): Kafka {
  return new Kafka({
    clientId,
    brokers: options.bootstrap.split(','),
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 },
    logLevel: logLevel.INFO,
    logCreator: () => (entry: LogEntry) => {
      if (!log.writableEnded) log.write(`${new Date().toISOString()} ${clientId} ${JSON.stringify(entry.log)}\n`);
    },
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
          await within(producer.disconnect(), disconnectMs, 'kafkajs producer disconnect').catch(() => {});
          producer = create();
          connected = false;
        }
        await sleep(Math.max(0, start + (seq + 1) * interval - performance.now()));
      }
    } finally {
      await within(producer.disconnect(), disconnectMs, 'kafkajs producer disconnect').catch(() => {});
    }
  };
  return { done: loop() };
}

/**
 * Runs a python script of scripts/ printing one JSON event a line (it stops once its stop file exists),
 * its stderr in `<dir>/<logName>.log` (default: the script's name).
 */
export function pythonClient(dir: string, script: string, input: object, onEvent: (event: Record<string, unknown>) => void, logName = script.replace(/\.py$/, '')): Client {
  const child = spawn(debianPython, [path.join(import.meta.dirname, 'scripts', script), JSON.stringify(input)], {
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = path.join(dir, `${logName}.log`);
  child.stderr.pipe(createWriteStream(log));
  createInterface({ input: child.stdout }).on('line', (line) => onEvent(JSON.parse(line) as Record<string, unknown>));
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ClientExited(`${script} exited (${code ?? signal}); see ${log}`, code));
    });
  });
  return { done, kill: () => void child.kill('SIGKILL') };
}

/** confluent-1: the python producer, its events stamped as their lines arrive. */
function confluentProducer(options: WorkloadOptions, stopFile: string) {
  const name = 'confluent-1';
  const { recorder, topic, rate, acks, bootstrap } = options;
  const debug = process.env.KB_CHAOS_RDKAFKA_DEBUG;
  return pythonClient(options.dir, 'confluent_producer.py', { bootstrap, topic, process: name, rate, acks, stop_file: stopFile, debug }, (event) => {
    const value = event.value as string;
    if (event.type === 'send') recorder.record({ type: 'send', process: name, value });
    else if (event.type === 'ack') recorder.record({ type: 'ack', process: name, value, partition: event.partition as number, offset: event.offset as number });
    else recorder.record({ type: 'fail', process: name, value, error: event.error as string });
  });
}

/** member-1: the python group member committing each batch synchronously, its commits stamped as their lines arrive. */
function confluentMember(options: WorkloadOptions, stopFile: string) {
  const name = 'member-1';
  const { recorder, topic, group, bootstrap } = options;
  return pythonClient(options.dir, 'confluent_member.py', { bootstrap, topic, group, stop_file: stopFile }, (event) => {
    const outcome = event.outcome as 'ok' | 'fail';
    recorder.record({ type: 'commit', process: name, group, partition: event.partition as number, offset: event.offset as number, outcome });
  });
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
      await within(admin.disconnect(), disconnectMs, 'kafkajs admin disconnect').catch(() => {});
    }
  };
  return { done: loop() };
}

/** A python client's failure: its exit status (null when a signal ended it). */
export class ClientExited extends Error {
  readonly code: number | null;
  constructor(message: string, code: number | null) {
    super(message);
    this.code = code;
  }
}

/** A running client: its loop, and for a python one how to kill it. */
export interface Client {
  done: Promise<void>;
  kill?: () => void;
}

/** What `startClients` gives the code starting the clients: the stop files, and where to register each client. */
export interface Tiers {
  /** Exists once the producers are to stop. */
  producersStop: string;
  /** Exists once the watchers (consumers, observers) are to stop, after every producer has. */
  watchersStop: string;
  /** Whether stop() began (for the clients in this process). */
  stopped(): boolean;
  producer(client: Client): void;
  watcher(client: Client): void;
}

/**
 * Starts a workload's clients with `start` (which registers each) and returns their Workload: `stop()`
 * stops the producers, waits for them, then stops the watchers and waits for them (python clients
 * still running after `pythonStopMs` are killed), runs `cleanup` and throws the first client's
 * failure. When `start` throws, the clients it started are stopped.
 */
export async function startClients(dir: string, start: (tiers: Tiers) => Promise<void>, cleanup: () => void = () => {}): Promise<Workload> {
  let running = true;
  const producers: Promise<void>[] = [];
  const watchers: Promise<void>[] = [];
  const python: (() => void)[] = [];
  const track = (list: Promise<void>[], client: Client) => {
    client.done.catch(() => {}); // judged in stop()
    list.push(client.done);
    if (client.kill) python.push(client.kill);
  };
  const tiers: Tiers = {
    producersStop: path.join(dir, 'producers.stop'),
    watchersStop: path.join(dir, 'member.stop'),
    stopped: () => !running,
    producer: (client) => track(producers, client),
    watcher: (client) => track(watchers, client),
  };
  const stop = async () => {
    running = false;
    writeFileSync(tiers.producersStop, '');
    const killer = setTimeout(() => python.forEach((kill) => kill()), pythonStopMs);
    const results = await Promise.allSettled(producers);
    writeFileSync(tiers.watchersStop, '');
    results.push(...(await Promise.allSettled(watchers)));
    clearTimeout(killer);
    cleanup();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  try {
    await start(tiers);
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  return { stop };
}

export function startWorkload(options: WorkloadOptions): Promise<Workload> {
  const log = createWriteStream(path.join(options.dir, 'kafkajs.log'));
  const kafka = (id: string) => kafkajsClient(options, id, log);
  return startClients(
    options.dir,
    async (tiers) => {
      tiers.producer(confluentProducer(options, tiers.producersStop));
      tiers.watcher(confluentMember(options, tiers.watchersStop));
      tiers.producer(await kafkajsProducer(options, kafka('kafkajs-1'), tiers.stopped));
      tiers.watcher(await observer(options, kafka('observer-1'), tiers.stopped));
    },
    () => log.end(),
  );
}
