/**
 * One partition replica hosted on this broker, as leader: the storage log
 * plus what the protocol layers on it: leader epoch, high watermark,
 * idempotent-producer state, LogAppendTime stamping, and the wake-up of
 * parked fetches when data arrives.
 *
 * Appends are admitted one at a time in call order: the producer check,
 * LogAppendTime stamping and the log enqueue, which assigns offsets in that
 * order. A batch does not wait for earlier batches to be written, so
 * appends that arrive while a write is in flight go out in the log's next
 * group write. An idempotent batch is admitted only once its producer's
 * earlier batches here are written and recorded (check -> append -> record
 * must not interleave for one producer), which holds up later admissions
 * behind it and so keeps the order. With one replica the ISR is the leader
 * alone, so the high watermark moves to the end of each append once it is
 * written; replication will move it only when the ISR has the data.
 */
import { EventEmitter } from 'node:events';
import { ErrorCode } from '../../protocol/errors.ts';
import { attributeBits, offsets as headerOffsets, updateBatchCrc, type BatchHeader } from '../../protocol/records/batch-header.ts';
import type { PartitionRecord } from '../../metadata/records.ts';
import type { Log } from '../../storage/log.ts';
import { isIdempotent, ProducerStateTable } from './producer-state.ts';

export const latestTimestamp = -1n;
export const earliestTimestamp = -2n;
export const maxTimestamp = -3n;

export interface AppendResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
}

export interface ConsumerRead {
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  records: Buffer | null;
}

export interface PartitionSettings {
  /** `max.message.bytes` of the topic. */
  maxMessageBytes(): number;
  /** `message.timestamp.type` of the topic is LogAppendTime. */
  logAppendTime(): boolean;
}

export class Partition {
  readonly topic: string;
  readonly index: number;
  readonly log: Log;
  state: PartitionRecord;
  private readonly settings: PartitionSettings;
  private readonly producers = new ProducerStateTable();
  private readonly dataArrived = new EventEmitter();
  /** The admission of the latest append (settles once it is enqueued in the log). */
  private admission: Promise<unknown> = Promise.resolve();
  /** Per idempotent producer, its latest append not yet written and recorded. */
  private readonly producerAppends = new Map<bigint, Promise<AppendResult>>();

  constructor(topic: string, index: number, log: Log, state: PartitionRecord, settings: PartitionSettings) {
    this.topic = topic;
    this.index = index;
    this.log = log;
    this.state = state;
    this.settings = settings;
    this.dataArrived.setMaxListeners(0);
  }

  /** Rebuilds the idempotent-producer table from the batch headers in the log. */
  async loadProducerState(): Promise<void> {
    this.advanceHighWatermark();
    for await (const header of this.log.batchHeaders(this.log.logStartOffset)) {
      this.producers.record(header, header.baseOffset, header.maxTimestamp);
    }
  }

  get highWatermark(): bigint {
    return this.log.highWatermark;
  }

  /** With one replica the ISR is the leader alone: everything in the log is committed. */
  private advanceHighWatermark(): void {
    this.log.updateHighWatermark(this.log.logEndOffset);
  }

  maxMessageBytes(): number {
    return this.settings.maxMessageBytes();
  }

  appendAsLeader(batch: Buffer, header: BatchHeader, _acks: number): Promise<AppendResult> {
    const admitted = this.admission.then(() => this.admit(batch, header));
    this.admission = admitted.catch(() => undefined);
    return admitted.then((a) => a.appended);
  }

  /** Checks and enqueues one batch; resolves once it is in the log's queue with its append's outcome (wrapped, so admission does not wait for the write). */
  private async admit(batch: Buffer, header: BatchHeader): Promise<{ appended: Promise<AppendResult> }> {
    const idempotent = isIdempotent(header);
    if (idempotent) await this.producerAppends.get(header.producerId);
    const check = this.producers.check(header);
    if (check.action === 'reject') return { appended: Promise.resolve(this.appendFailed(check.errorCode, check.message)) };
    const logAppendTime = this.settings.logAppendTime();
    if (check.action === 'duplicate') {
      const duplicate = { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: check.baseOffset, logAppendTimeMs: logAppendTime ? check.timestamp : -1n, logStartOffset: this.log.logStartOffset };
      return { appended: Promise.resolve(duplicate) };
    }
    let appendTime = -1n;
    if (logAppendTime) {
      appendTime = BigInt(Date.now());
      batch.writeInt16BE(header.attributes | attributeBits.timestampTypeLogAppend, headerOffsets.attributes);
      batch.writeBigInt64BE(appendTime, headerOffsets.maxTimestamp);
      updateBatchCrc(batch);
    }
    const appended = this.log.append(batch, this.state.leaderEpoch).then(
      (info): AppendResult => {
        this.producers.record(header, info.baseOffset, logAppendTime ? appendTime : header.maxTimestamp);
        if (info.lastOffset + 1n > this.log.highWatermark) this.log.updateHighWatermark(info.lastOffset + 1n);
        this.dataArrived.emit('data');
        return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: info.baseOffset, logAppendTimeMs: appendTime, logStartOffset: this.log.logStartOffset };
      },
      (err: Error) => this.appendFailed(ErrorCode.KAFKA_STORAGE_ERROR, `append to ${this.topic}-${this.index} failed: ${err.message}`),
    );
    if (idempotent) {
      this.producerAppends.set(header.producerId, appended);
      void appended.then(() => {
        if (this.producerAppends.get(header.producerId) === appended) this.producerAppends.delete(header.producerId);
      });
    }
    return { appended };
  }

  private appendFailed(errorCode: number, errorMessage: string): AppendResult {
    return { errorCode, errorMessage, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n };
  }

  /** Whole batches from the one holding `offset`, below the high watermark. */
  async readForConsumer(offset: bigint, maxBytes: number, minOneBatch: boolean): Promise<ConsumerRead> {
    const highWatermark = this.highWatermark;
    const logStartOffset = this.log.logStartOffset;
    if (offset < logStartOffset || offset > highWatermark) {
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, logStartOffset, records: null };
    }
    const records = offset === highWatermark ? Buffer.alloc(0) : await this.log.read(offset, maxBytes, { minOneBatch, maxOffset: highWatermark });
    return { errorCode: ErrorCode.NONE, highWatermark, logStartOffset, records };
  }

  /** Resolves when data is appended or `signal` aborts. */
  waitForData(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.dataArrived.off('data', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.dataArrived.on('data', done);
      signal.addEventListener('abort', done);
    });
  }

  async offsetFor(timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint; leaderEpoch: number }> {
    const epoch = this.state.leaderEpoch;
    if (timestamp === latestTimestamp) return { offset: this.highWatermark, timestamp: -1n, leaderEpoch: epoch };
    if (timestamp === earliestTimestamp) return { offset: this.log.logStartOffset, timestamp: -1n, leaderEpoch: epoch };
    const found = timestamp === maxTimestamp ? await this.log.maxTimestampOffset() : await this.log.offsetForTimestamp(timestamp);
    if (!found || found.offset >= this.highWatermark) return { offset: -1n, timestamp: -1n, leaderEpoch: -1 };
    return { offset: found.offset, timestamp: found.timestamp, leaderEpoch: epoch };
  }

  async deleteRecordsBefore(offset: bigint): Promise<{ lowWatermark: bigint; errorCode: number }> {
    const target = offset === -1n ? this.highWatermark : offset;
    if (target < 0n || target > this.highWatermark) return { lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    await this.log.deleteRecordsBefore(target);
    return { lowWatermark: this.log.logStartOffset, errorCode: ErrorCode.NONE };
  }
}
