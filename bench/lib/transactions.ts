/**
 * Transactional produce against plain idempotent produce on one kb node
 * (1 partition, acks=all), by confluent-kafka (bench/lib/txn_produce.py,
 * Debian's python3): `records` values of `recordSize` bytes, idempotent,
 * then as transactions of `perTransaction` records, each into a topic of
 * its own after a warm-up run of each. Broker on the server core, the
 * producer on the client core; seconds are the producer's own wall time,
 * from its first record on (the topic's metadata fetched before: see
 * txn_produce.py).
 */
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { startBroker } from '../../test/helpers/broker.ts';
import { clientCore, onCore, pin, serverCore, timedRun } from './processes.ts';

const script = path.join(import.meta.dirname, 'txn_produce.py');
const kbBin = path.join(import.meta.dirname, '../../bin/run.js');

export interface TransactionRuns {
  idempotentSeconds: number;
  transactionalSeconds: number;
}

export async function kbTransactions(dir: string, records: number, recordSize: number, perTransaction: number, timeLimitMs: number): Promise<TransactionRuns> {
  const dataDir = path.join(dir, 'kb-transactions');
  const broker = await startBroker({ dataDir, sets: { 'transaction.state.log.num.partitions': 1 } });
  try {
    pin(broker.process.pid!, serverCore);
    const produce = async (topic: string, count: number, txns: number): Promise<number> => {
      await timedRun([process.execPath, kbBin, 'topic', 'create', topic, '--partitions', '1', '-b', broker.address], { timeLimitMs, settle: false });
      const input = { bootstrap: broker.address, topic, records: count, size: recordSize, per_transaction: txns, transactional_id: `bench-${topic}` };
      const run = await timedRun(onCore(clientCore, ['/usr/bin/python3', script, JSON.stringify(input)]), { timeLimitMs });
      return JSON.parse(run.stdout.trim().split('\n').at(-1)!).seconds as number;
    };
    const warmUp = Math.min(records, 10 * perTransaction);
    await produce('warm-idempotent', warmUp, 0);
    await produce('warm-transactional', warmUp, perTransaction);
    return { idempotentSeconds: await produce('idempotent', records, 0), transactionalSeconds: await produce('transactional', records, perTransaction) };
  } finally {
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
