/**
 * Transaction markers (KIP-98): the control batches that end a producer's
 * transaction on a partition. A marker batch has the transactional and
 * control attribute bits, the producer's id and epoch, sequence -1 and one
 * record whose key is `version int16 (0), type int16 (0 = ABORT,
 * 1 = COMMIT)` and whose value is `version int16 (0), coordinatorEpoch
 * int32` (Kafka's EndTransactionMarker). Other control types (KRaft's
 * leader-change and snapshot records) are not transaction markers.
 *
 * `readMarker` returns null for a control batch that is not a marker and
 * throws ProtocolError for one that cannot be decoded.
 */
import { ProtocolError } from '../primitives.ts';
import { attributeBits, type BatchHeader } from './batch-header.ts';
import { decodeRecordBatch, encodeRecordBatch, type RecordBatch } from './record-batch.ts';

export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

const abortType = 0;
const commitType = 1;
const keyBytes = 4;
const valueBytes = 6;
/** A marker batch holds one small record: anything bigger is not one. */
const markerBatchBytesMax = 1024;

export function isControlBatch(header: Pick<BatchHeader, 'attributes'>): boolean {
  return (header.attributes & attributeBits.control) !== 0;
}

export function isTransactionalBatch(header: Pick<BatchHeader, 'attributes'>): boolean {
  return (header.attributes & attributeBits.transactional) !== 0;
}

/** The marker batch the partition leader writes (baseOffset and leader epoch are the log's to assign). */
export function encodeMarkerBatch(marker: TxnMarker, timestampMs: bigint): Buffer {
  const key = Buffer.alloc(keyBytes);
  key.writeInt16BE(marker.commit ? commitType : abortType, 2);
  const value = Buffer.alloc(valueBytes);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  return encodeRecordBatch({
    baseTimestamp: timestampMs,
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
    records: [{ key, value }],
  });
}

/** The transaction marker in a control batch; null for another control type. */
export function readMarker(batch: Buffer): TxnMarker | null {
  if (batch.length > markerBatchBytesMax) throw new ProtocolError(`control batch of ${batch.length} bytes is larger than a marker's ${markerBatchBytesMax}`);
  const decoded = decodeRecordBatch(batch, markerBatchBytesMax);
  const key = decoded.records[0]?.key;
  if (!key || key.length < keyBytes) throw new ProtocolError('control batch without a control record key');
  return markerOfDecoded(decoded);
}

/** The transaction marker of an already decoded control batch; null for another control type or a control record too short to tell. */
export function markerOfDecoded(batch: RecordBatch): TxnMarker | null {
  const record = batch.records[0];
  if (!record?.key || record.key.length < keyBytes) return null;
  const type = record.key.readInt16BE(2);
  if (type !== abortType && type !== commitType) return null;
  const coordinatorEpoch = record.value && record.value.length >= valueBytes ? record.value.readInt32BE(2) : -1;
  return { producerId: batch.producerId, producerEpoch: batch.producerEpoch, commit: type === commitType, coordinatorEpoch };
}
