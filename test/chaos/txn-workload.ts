/**
 * The fault suite's transactional workload (`--workload txn`), each client
 * logging what it does into the history (history.ts), all confluent-kafka
 * in Debian's python3 (workload.ts runs them):
 * - `txn-1` (scripts/confluent_txn_producer.py): a transactional producer
 *   (transactional id `transactionalId`) running about `rate / 10`
 *   transactions a second of 1-5 values to random partitions, committing
 *   most, aborting some, and now and then fenced by a successor; its values
 *   as `send`/`ack`/`fail`, each transaction's outcome as a `txn` event;
 * - `ctp-1` (scripts/confluent_ctp.py): a consume-transform-produce stage
 *   copying `topic` (read_committed, group `chaos-ctp`) to `outTopic`, the
 *   consumed offsets committed in each transaction (transactional id
 *   `chaos-ctp`); it logs nothing into the history (the final read of
 *   `outTopic` judges it), and when stopped it first catches up with the
 *   input, or fails; started again when librdkafka left it blocked for good;
 * - `reader-committed` and `reader-uncommitted`
 *   (scripts/confluent_reader.py): live readers of every partition from its
 *   start at each isolation level, each record as a `consumed` event.
 * `stop()` stops the producer (which finishes its transaction), then the
 * copy stage and the readers. librdkafka's logs go to
 * `<dir>/confluent_txn_producer.log`, `<dir>/confluent_ctp.log` and
 * `<dir>/reader-*.log` (the producers' debug contexts from
 * KB_CHAOS_RDKAFKA_DEBUG).
 */
import type { Isolation, Txn } from './history.ts';
import { ClientExited, pythonClient, startClients, type Client, type Workload, type WorkloadOptions } from './workload.ts';

/** The producer's transactional id (the kill-coordinator nemesis kills its coordinator). */
export const transactionalId = 'chaos-txn';

type TxnWorkloadOptions = Omit<WorkloadOptions, 'acks' | 'group'> & { outTopic: string; seed: number };

function producer(options: TxnWorkloadOptions, stopFile: string): Client {
  const name = 'txn-1';
  const { recorder, topic, partitions, bootstrap, seed } = options;
  const input = {
    bootstrap, topic, partitions, process: name, transactional_id: transactionalId, rate: options.rate / 10, seed, stop_file: stopFile,
    debug: process.env.KB_CHAOS_RDKAFKA_DEBUG,
  };
  return pythonClient(options.dir, 'confluent_txn_producer.py', input, (event) => {
    const value = event.value as string;
    if (event.type === 'send') recorder.record({ type: 'send', process: name, value });
    else if (event.type === 'ack') recorder.record({ type: 'ack', process: name, value, partition: event.partition as number, offset: event.offset as number });
    else if (event.type === 'fail') recorder.record({ type: 'fail', process: name, value, error: event.error as string });
    else recorder.record({ type: 'txn', process: name, values: event.values as string[], outcome: event.outcome as Txn['outcome'], fenced: event.fenced as boolean });
  });
}

function reader(options: TxnWorkloadOptions, isolation: Isolation, stopFile: string): Client {
  const name = `reader-${isolation.slice('read_'.length)}`;
  const { recorder, topic, partitions, bootstrap } = options;
  const input = { bootstrap, topic, partitions, isolation, stop_file: stopFile };
  return pythonClient(
    options.dir,
    'confluent_reader.py',
    input,
    (event) => {
      const { partition, offset, value } = event as { partition: number; offset: number; value: string };
      recorder.record({ type: 'consumed', process: name, isolation, partition, offset, value });
    },
    name,
  );
}

/** The copy stage's exit status when librdkafka blocked for good (scripts/confluent_ctp.py): a new one takes over. */
const copyStageStuck = 3;

/** The copy stage, started again (fencing the old one, logging to confluent_ctp-N.log) each time it exits `copyStageStuck`. */
function copyStage(options: TxnWorkloadOptions, stopFile: string): Client {
  const { bootstrap, topic, outTopic } = options;
  const input = {
    bootstrap, in_topic: topic, out_topic: outTopic, group: 'chaos-ctp', transactional_id: 'chaos-ctp', stop_file: stopFile,
    debug: process.env.KB_CHAOS_RDKAFKA_DEBUG,
  };
  let current: Client | undefined;
  const done = (async () => {
    for (let run = 1; ; run++) {
      current = pythonClient(options.dir, 'confluent_ctp.py', input, () => {}, run === 1 ? 'confluent_ctp' : `confluent_ctp-${run}`);
      try {
        return await current.done;
      } catch (err) {
        if (!(err instanceof ClientExited && err.code === copyStageStuck)) throw err;
      }
    }
  })();
  return { done, kill: () => current?.kill?.() };
}

export function startTxnWorkload(options: TxnWorkloadOptions): Promise<Workload> {
  return startClients(options.dir, async (tiers) => {
    tiers.producer(producer(options, tiers.producersStop));
    tiers.watcher(copyStage(options, tiers.watchersStop));
    tiers.watcher(reader(options, 'read_committed', tiers.watchersStop));
    tiers.watcher(reader(options, 'read_uncommitted', tiers.watchersStop));
  });
}
