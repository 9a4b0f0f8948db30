/**
 * A v2 batch rewritten with another codec, as a leader stores a produced
 * batch whose codec is not its topic's `compression.type` (Kafka's
 * LogValidator does the same). Only the records section changes form: its
 * decompressed bytes are exactly the records, so offset deltas, timestamp
 * deltas, keys, values and headers stay byte for byte, and every header
 * field is copied but the codec bits (attributes 0-2), batchLength and the
 * CRC, which is recomputed: base offset and timestamp, max timestamp,
 * producer id, epoch and base sequence, the timestamp type, transactional and
 * control flags.
 *
 * `recompressBatch(batch, codec, options)` reads the records as they
 * decompress (compression.ts decompressedChunks, the bounded path the
 * Produce handler's walk of the records takes: DecompressedTooLarge past
 * `maxDecompressedBytes`) and compresses them as they come, so it holds
 * about one piece of input and the output; once the new batch would pass
 * `maxBatchBytes` it stops with RecompressedTooLarge (Kafka answers
 * RECORD_TOO_LARGE when a recompressed batch passes max.message.bytes).
 * It checks nothing else: the batch must have been validated (batch-header.ts
 * batchProblem, and its records walked).
 */
import { pipeline } from 'node:stream/promises';
import { compressionStage, decompressedChunks } from '../compression.ts';
import { attributeBits, batchHeaderBytes, batchLengthOverheadBytes, compressionCodecOf, offsets, readBatchHeader, updateBatchCrc } from './batch-header.ts';

/** A codec to store batches in and its level (compression.ts compressionStage), undefined for the codec's default. */
export interface StoredCompression {
  codec: number;
  level: number | undefined;
}

export interface RecompressOptions {
  /** The codec's level (compression.ts compressionStage), undefined for its default. */
  level?: number;
  maxDecompressedBytes: number;
  maxBatchBytes: number;
}

/** The recompressed batch would be larger than allowed. */
export class RecompressedTooLarge extends Error {
  override name = 'RecompressedTooLarge';
}

export async function recompressBatch(batch: Buffer, codec: number, options: RecompressOptions): Promise<Buffer> {
  const { attributes } = readBatchHeader(batch);
  const records = decompressedChunks(compressionCodecOf(attributes), batch.subarray(batchHeaderBytes), options.maxDecompressedBytes);
  const pieces: Buffer[] = [batch.subarray(0, batchHeaderBytes)];
  let bytes = batchHeaderBytes;
  await pipeline(records, compressionStage(codec, options.level), async (compressed: AsyncIterable<Buffer>) => {
    for await (const piece of compressed) {
      bytes += piece.length;
      if (bytes > options.maxBatchBytes) {
        throw new RecompressedTooLarge(`the batch recompressed with codec ${codec} exceeds ${options.maxBatchBytes} bytes`);
      }
      pieces.push(piece);
    }
  });
  const out = Buffer.concat(pieces, bytes);
  out.writeInt32BE(bytes - batchLengthOverheadBytes, offsets.batchLength);
  out.writeInt16BE((attributes & ~attributeBits.compressionMask) | codec, offsets.attributes);
  updateBatchCrc(out);
  return out;
}

