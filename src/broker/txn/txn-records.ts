/**
 * The records of `__transaction_state` in Kafka's schemas (generated from
 * ../shared/kafka-protocol/coordinator-records/), so tools that read the
 * topic directly (Kafka's TransactionLogMessageFormatter) read kb's. Pure:
 * builds the record of a transactional id's state and decodes one back.
 *
 *   key    int16 0, TransactionLogKey v0 (transactional id)
 *   value  int16 0, TransactionLogValue v0 (producer id and epoch, timeout,
 *          state, partitions, last update and start times), as Kafka writes
 *          for clients of transaction version 0-1
 * A null value (tombstone) removes the transactional id (expired). Decoding
 * reads value versions 0-1; anything else throws ProtocolError.
 */
import { ProtocolError, Reader, Writer } from '../../protocol/primitives.ts';
import { decodeTransactionLogKey, encodeTransactionLogKey } from '../../protocol/generated/transaction-log-key.ts';
import { decodeTransactionLogValue, encodeTransactionLogValue, transactionLogValueMeta } from '../../protocol/generated/transaction-log-value.ts';

/** Kafka's TransactionState ids, as stored in TransactionLogValue.transactionStatus. */
export const TxnState = { Empty: 0, Ongoing: 1, PrepareCommit: 2, PrepareAbort: 3, CompleteCommit: 4, CompleteAbort: 5, Dead: 6, PrepareEpochFence: 7 } as const;
export type TxnStateId = (typeof TxnState)[keyof typeof TxnState];
export const txnStateNames: readonly string[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

/** What the coordinator keeps of a transactional id. */
export interface TxnRecord {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnStateId;
  /** `topic` -> partitions in the transaction (empty unless Ongoing or Prepare*). */
  partitions: Map<string, Set<number>>;
  /** Wall-clock ms. -1 when no transaction has started. */
  startMs: number;
  updateMs: number;
  /** The epoch before the last InitProducerId bumped it (in memory only, as Kafka: not in the record); a retried InitProducerId names it. */
  lastProducerEpoch?: number;
}

const keyVersion = 0;
const valueVersion = 0;

function encoded(write: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  write(w);
  return Buffer.from(w.finish());
}

export function txnKey(transactionalId: string): Buffer {
  return encoded((w) => encodeTransactionLogKey(w.int16(keyVersion), { transactionalId }, 0));
}

export function txnRecord(txn: TxnRecord): { key: Buffer; value: Buffer } {
  const value = encoded((w) =>
    encodeTransactionLogValue(
      w.int16(valueVersion),
      {
        producerId: txn.producerId,
        previousProducerId: -1n,
        nextProducerId: -1n,
        producerEpoch: txn.producerEpoch,
        transactionTimeoutMs: txn.timeoutMs,
        transactionStatus: txn.state,
        transactionPartitions: [...txn.partitions].map(([topic, partitions]) => ({ topic, partitionIds: [...partitions] })),
        transactionLastUpdateTimestampMs: BigInt(Math.trunc(txn.updateMs)),
        transactionStartTimestampMs: BigInt(Math.trunc(txn.startMs)),
        clientTransactionVersion: 0,
      },
      valueVersion,
    ),
  );
  return { key: txnKey(txn.transactionalId), value };
}

/** The transactional id a key names. */
export function decodeTxnKey(key: Buffer): string {
  const r = new Reader(key);
  const version = r.int16();
  if (version !== keyVersion) throw new ProtocolError(`unknown TransactionLogKey version ${version}`);
  const { transactionalId } = decodeTransactionLogKey(r, 0);
  if (r.remaining !== 0) throw new ProtocolError(`${r.remaining} bytes after the key`);
  return transactionalId;
}

export function decodeTxnValue(transactionalId: string, value: Buffer): TxnRecord {
  const r = new Reader(value);
  const version = r.int16();
  const [low, high] = transactionLogValueMeta.validVersions;
  if (version < low || version > high) throw new ProtocolError(`unknown TransactionLogValue version ${version}`);
  const v = decodeTransactionLogValue(r, version);
  if (v.transactionStatus < 0 || v.transactionStatus >= txnStateNames.length) throw new ProtocolError(`unknown transaction state ${v.transactionStatus}`);
  return {
    transactionalId,
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    timeoutMs: v.transactionTimeoutMs,
    state: v.transactionStatus as TxnStateId,
    partitions: new Map((v.transactionPartitions ?? []).map((p) => [p.topic, new Set(p.partitionIds)])),
    startMs: Number(v.transactionStartTimestampMs),
    updateMs: Number(v.transactionLastUpdateTimestampMs),
  };
}
