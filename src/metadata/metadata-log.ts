/**
 * The metadata log: the ordered, durable list of MetadataRecords that every
 * node replays into its MetadataImage. It is a storage Log (the same
 * segmented format as partition logs, in the data dir's `metadata/`), where
 * each append is one Kafka v2 record batch whose records' values are
 * msgpack-encoded MetadataRecords (records.ts). A batch is written and
 * checked as a unit, so a proposal of several records is all there or, after
 * a crash mid-write, not there at all. Appends are fsynced before they
 * return (flush.messages=1): a committed change survives kill -9.
 */
import { encodeRecordBatch, decodeRecordBatch } from '../protocol/records/record-batch.ts';
import { recordBatches } from '../protocol/records/batch-splitter.ts';
import { Log } from '../storage/log.ts';
import type { StorageLogger } from '../storage/environment.ts';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './records.ts';

const readChunkBytes = 4 * 1024 * 1024;
/** The quorum epoch stamped on batches; a single voter stays in epoch 0 until Raft arrives. */
const singleVoterEpoch = 0;

export class MetadataLog {
  private readonly dir: string;
  private readonly logger: StorageLogger | undefined;
  private log: Log | null = null;

  constructor(dir: string, logger?: StorageLogger) {
    this.dir = dir;
    this.logger = logger;
  }

  async open(): Promise<void> {
    this.log = await Log.open(this.dir, { flushMessages: 1 }, this.logger ? { logger: this.logger } : {});
    this.log.updateHighWatermark(this.log.logEndOffset);
  }

  private opened(): Log {
    if (!this.log) throw new Error('metadata log is not open');
    return this.log;
  }

  /** Offset of the last record in the log (-1 when empty). */
  lastOffset(): number {
    return Number(this.opened().logEndOffset) - 1;
  }

  /** Every record in log order. */
  async readAll(): Promise<MetadataRecord[]> {
    const log = this.opened();
    const out: MetadataRecord[] = [];
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const chunk = await log.read(offset, readChunkBytes);
      if (chunk.length === 0) break;
      for (const span of recordBatches(chunk)) {
        if (!span.complete) break;
        const batch = decodeRecordBatch(span.bytes);
        for (const record of batch.records) out.push(decodeMetadataRecord(record.value!));
        offset = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
      }
    }
    return out;
  }

  /** Appends records as one batch and returns once they are on disk. */
  async append(records: MetadataRecord[]): Promise<void> {
    const log = this.opened();
    const batch = encodeRecordBatch({
      baseTimestamp: BigInt(Date.now()),
      records: records.map((r) => ({ value: encodeMetadataRecord(r) })),
    });
    await log.append(batch, singleVoterEpoch);
    log.updateHighWatermark(log.logEndOffset);
  }

  async close(): Promise<void> {
    await this.log?.close();
    this.log = null;
  }
}
