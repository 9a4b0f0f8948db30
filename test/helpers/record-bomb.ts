/**
 * The compressed batch of issue #22: `count` empty 7-byte records, all
 * alike, so millions of them compress to a few kilobytes. `declared` is the
 * record count its header claims (the truth by default); every record's
 * timestamp is `baseTimestamp`, while the header's max timestamp claims
 * baseTimestamp + 1000, so a search for that time must walk every record.
 */
import { compress, CompressionCodec } from '../../src/protocol/compression.ts';
import { batchHeaderBytes, batchLengthOverheadBytes, updateBatchCrc, writeBatchHeader } from '../../src/protocol/records/batch-header.ts';

export interface BombSpec {
  count: number;
  declared?: number;
  codec?: number;
  baseTimestamp?: bigint;
}

export function emptyRecordsBatch(spec: BombSpec): Buffer {
  const { count, declared = count, codec = CompressionCodec.zstd, baseTimestamp = 0n } = spec;
  const record = Buffer.from([0x0c, 0, 0, 0, 1, 1, 0]); // length 6, attributes, timestampDelta 0, offsetDelta 0, null key, null value, no headers
  const plain = Buffer.allocUnsafe(record.length * count);
  for (let i = 0; i < count; i++) record.copy(plain, i * record.length);
  const payload = compress(codec, plain);
  const batch = Buffer.alloc(batchHeaderBytes + payload.length);
  payload.copy(batch, batchHeaderBytes);
  writeBatchHeader(batch, {
    baseOffset: 0n,
    batchLength: batch.length - batchLengthOverheadBytes,
    partitionLeaderEpoch: -1,
    magic: 2,
    attributes: codec,
    lastOffsetDelta: declared - 1,
    baseTimestamp,
    maxTimestamp: baseTimestamp + 1000n,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: declared,
  });
  updateBatchCrc(batch);
  return batch;
}
