/**
 * Produce (key 0), v0-8. Internal topics (__consumer_offsets) are written
 * by the broker only: INVALID_TOPIC_EXCEPTION. Per partition: find the
 * leader replica, validate the batch (structure and CRC -> CORRUPT_MESSAGE, size -> MESSAGE_TOO_LARGE,
 * v3+ exactly one v2 batch -> INVALID_RECORD), convert v0/v1 message sets
 * (Produce v0-2) to a v2 batch, then append through the partition, which
 * applies idempotent-producer checks and assigns offsets. acks=0 gets no
 * response at all; acks=1 is answered once the batch is in the leader's
 * log; acks=-1 fails with NOT_ENOUGH_REPLICAS before appending when the ISR
 * is smaller than min.insync.replicas, and is otherwise answered once the
 * high watermark passes the batch (Partition.waitForReplication: the ISR
 * has it), or with NOT_ENOUGH_REPLICAS_AFTER_APPEND, NOT_LEADER_OR_FOLLOWER
 * (leadership lost) or REQUEST_TIMED_OUT after the request's timeout.
 *
 * A batch of more than `message.max.records` records is INVALID_RECORD, and
 * so is a control batch (transaction markers are written by the leader
 * only, WriteTxnMarkers) and a transactional batch without a producer id
 * and sequence; a transactional batch in a request without a transactional
 * id is TRANSACTIONAL_ID_AUTHORIZATION_FAILED (as Kafka, per partition).
 * Batches are not decoded: only the record length prefixes are walked to
 * prove recordCount true (offsets are assigned from it), and the bytes go
 * to the log as they came (record-walk.ts). A compressed batch is walked as
 * it decompresses, in pieces, on its way into the partition's admission
 * (which keeps call order, so pipelined batches stay in order); records
 * decompressing past min(decompressionRatioMax x max.message.bytes,
 * decompressedBytesMax) (src/limits.ts) are INVALID_RECORD, broken ones
 * CORRUPT_MESSAGE. v0/v1 message sets are decoded whole to be converted,
 * within the same decompressed bound. A batch whose codec is not the one
 * its topic's compression.type names (unless that is `producer`) is then
 * recompressed to it with the topic's compression.<codec>.level, reading
 * its records within the same bound, still on its way into the admission;
 * one that recompressed passes max.message.bytes is MESSAGE_TOO_LARGE, as
 * in Kafka. An appended batch counts into the
 * topic's bytes-in and messages-in metrics (size and header record count).
 * The handler returns only once every append it started has settled, and
 * keeps no request bytes (the frame's buffer is reused, connection.ts).
 *
 * Authorization (auth/api-operations.ts): Write on each topic, else its
 * partitions get TOPIC_AUTHORIZATION_FAILED; a transactional produce Write
 * on its transactional id, else every partition
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
 */
import { ErrorCode, errorMessage } from '../../protocol/errors.ts';
import { ProtocolError } from '../../protocol/primitives.ts';
import { batchProblem, compressionCodecOf, readBatchHeader, type BatchHeader } from '../../protocol/records/batch-header.ts';
import { isControlBatch, isTransactionalBatch } from '../../protocol/records/control-batch.ts';
import { isIdempotent } from '../replica/producer-state.ts';
import { CompressionCodec, DecompressedTooLarge } from '../../protocol/compression.ts';
import { recordFramingProblem, walkRecords } from '../../protocol/records/record-walk.ts';
import { decodeLegacyMessageSet, legacyToRecordBatch } from '../../protocol/records/legacy-message-set.ts';
import type { ProduceRequest } from '../../protocol/generated/produce-request.ts';
import type { PartitionProduceResponse, ProduceResponse } from '../../protocol/generated/produce-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler, type BrokerServices } from './handler.ts';
import type { ErrorResult } from '../replica/partition.ts';
import { recompressBatch, RecompressedTooLarge, type StoredCompression } from '../../protocol/records/recompress.ts';
import { decompressedBytesMax, decompressionRatioMax } from '../../limits.ts';
import { AclOperation, ResourceType } from '../../protocol/acl.ts';

const legacyMagicMaxVersion = 2;
const magicOffset = 16;

const noLeader = { leaderId: -1, leaderEpoch: -1 };

function failed(index: number, errorCode: number, errorMessage: string): PartitionProduceResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage, currentLeader: noLeader };
}

export default defineHandler<ProduceRequest, ProduceResponse>({
  apiKey: ApiKeys.Produce,
  minVersion: 0,
  maxVersion: 8,
  async handle(request, ctx) {
    const transactionalId = request.transactionalId ?? null;
    const txnRefused = transactionalId !== null && !ctx.access.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId);
    const responses = await allSettled(
      request.topicData.map(async (topic) => {
        const refused = txnRefused
          ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
          : !ctx.access.allows(AclOperation.WRITE, ResourceType.TOPIC, topic.name)
            ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
            : null;
        return {
          name: topic.name,
          partitionResponses: await allSettled(
            topic.partitionData.map((p) =>
              refused !== null ? Promise.resolve(failed(p.index, refused, errorMessage(refused))) : producePartition(ctx.services, topic.name, p.index, p.records, request, ctx.apiVersion),
            ),
          ),
        };
      }),
    );
    if (request.acks === 0) return null;
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  },
});

async function producePartition(
  services: BrokerServices,
  topic: string,
  index: number,
  records: Buffer | null,
  request: { acks: number; timeoutMs: number; transactionalId: string | null },
  apiVersion: number,
): Promise<PartitionProduceResponse> {
  const acks = request.acks;
  if (acks !== 0 && acks !== 1 && acks !== -1) return failed(index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${acks}`);
  if (services.node.isInternalTopic(topic)) return failed(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `cannot produce to internal topic ${topic}`);
  const partition = services.replicas.leaderPartition(topic, index);
  if ('errorCode' in partition) return failed(index, partition.errorCode, partition.errorMessage);
  if (records === null || records.length === 0) return failed(index, ErrorCode.INVALID_RECORD, 'no records');

  const maxBytes = partition.maxMessageBytes();
  const maxDecompressedBytes = Math.min(decompressedBytesMax, decompressionRatioMax * maxBytes);
  let batch: Buffer;
  try {
    batch = toSingleV2Batch(records, apiVersion, maxDecompressedBytes);
  } catch (err) {
    if (err instanceof DecompressedTooLarge) return failed(index, ErrorCode.INVALID_RECORD, err.message);
    if (err instanceof ProtocolError) return failed(index, ErrorCode.CORRUPT_MESSAGE, err.message);
    throw err;
  }
  const problem = batchProblem(batch);
  if (problem) return failed(index, ErrorCode.CORRUPT_MESSAGE, problem);
  if (batch.length > maxBytes) return failed(index, ErrorCode.MESSAGE_TOO_LARGE, `batch of ${batch.length} bytes exceeds max.message.bytes ${maxBytes}`);
  const header = readBatchHeader(batch);
  const recordsMax = services.settings.int('message.max.records');
  if (header.recordCount > recordsMax) return failed(index, ErrorCode.INVALID_RECORD, `batch of ${header.recordCount} records exceeds message.max.records ${recordsMax}`);
  const refusal = transactionalProblem(header);
  if (refusal) return failed(index, ErrorCode.INVALID_RECORD, refusal);
  if (isTransactionalBatch(header) && request.transactionalId === null) {
    return failed(index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'a transactional batch needs the transactional id of its producer in the request');
  }
  const codec = compressionCodecOf(header.attributes);
  let walked: Promise<ErrorResult | null> | undefined;
  if (codec === CompressionCodec.none) {
    const problem = recordFramingProblem(batch);
    if (problem) return failed(index, ErrorCode.CORRUPT_MESSAGE, problem);
  } else {
    walked = compressedRecordsProblem(batch, maxDecompressedBytes);
  }
  const stored = services.configs.storedCompression(topic);
  const preparing = stored && stored.codec !== codec ? recompressed(walked, batch, stored, maxDecompressedBytes, maxBytes) : walked;
  const result = await partition.appendAsLeader(batch, header, acks, preparing);
  if (result.errorCode !== ErrorCode.NONE) return failed(index, result.errorCode, result.errorMessage ?? '');
  services.metrics.produced(topic, batch.length, header.recordCount);
  if (acks === -1) {
    const replicated = await partition.waitForReplication(result, request.timeoutMs);
    if (replicated.errorCode !== ErrorCode.NONE) return failed(index, replicated.errorCode, replicated.errorMessage ?? '');
  }
  return {
    index,
    errorCode: ErrorCode.NONE,
    baseOffset: result.baseOffset,
    logAppendTimeMs: result.logAppendTimeMs,
    logStartOffset: result.logStartOffset,
    recordErrors: [],
    errorMessage: null,
    currentLeader: noLeader,
  };
}

/** Control batches (transaction markers) are the partition leader's to write; a transactional batch needs a producer id and sequence. */
function transactionalProblem(header: BatchHeader): string | null {
  if (isControlBatch(header)) return 'clients may not write control batches';
  if (isTransactionalBatch(header) && !isIdempotent(header)) return 'a transactional batch needs a producer id and a sequence';
  return null;
}

/**
 * Promise.all that settles only once every promise has (then rejects with
 * the first failure): the request's bytes go back to the connection's frame
 * pool when the handler returns, so no append may still hold them.
 */
async function allSettled<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Walks a compressed batch's records as they decompress (see the header); the refusal, or null. */
async function compressedRecordsProblem(batch: Buffer, maxDecompressedBytes: number): Promise<ErrorResult | null> {
  try {
    await walkRecords(batch, { maxDecompressedBytes });
    return null;
  } catch (err) {
    return compressedBatchRefusal(err);
  }
}

/** A failure to read a compressed batch's records as the answer: past the bound INVALID_RECORD, broken CORRUPT_MESSAGE; anything else is rethrown. */
function compressedBatchRefusal(err: unknown): ErrorResult {
  if (err instanceof DecompressedTooLarge) return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: `compressed batch: ${err.message}` };
  if (err instanceof ProtocolError) return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: `compressed batch: ${err.message}` };
  throw err;
}

/** The batch in its topic's codec once `walked` (the check of its compressed records, if any) passed it (see the header), or why not. */
async function recompressed(
  walked: Promise<ErrorResult | null> | undefined,
  batch: Buffer,
  stored: StoredCompression,
  maxDecompressedBytes: number,
  maxBatchBytes: number,
): Promise<Buffer | ErrorResult> {
  const refused = await walked;
  if (refused) return refused;
  try {
    return await recompressBatch(batch, stored.codec, { level: stored.level, maxDecompressedBytes, maxBatchBytes });
  } catch (err) {
    if (err instanceof RecompressedTooLarge) return { errorCode: ErrorCode.MESSAGE_TOO_LARGE, errorMessage: `${err.message}, the topic's max.message.bytes` };
    return compressedBatchRefusal(err);
  }
}

/** The one v2 batch a produce request carries for a partition (v0/v1 message sets converted). */
function toSingleV2Batch(records: Buffer, apiVersion: number, maxDecompressedBytes: number): Buffer {
  if (records.length <= magicOffset) throw new ProtocolError(`records of ${records.length} bytes hold no batch`);
  const magic = records.readInt8(magicOffset);
  if (magic < 2) {
    if (apiVersion > legacyMagicMaxVersion) throw new ProtocolError(`Produce v${apiVersion} requires magic 2, got magic ${magic}`);
    return legacyToRecordBatch(decodeLegacyMessageSet(records, maxDecompressedBytes));
  }
  const size = records.readInt32BE(8) + 12;
  if (size !== records.length) throw new ProtocolError(`expected exactly one record batch of ${size} bytes, got ${records.length} bytes`);
  return records;
}
