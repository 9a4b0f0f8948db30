/**
 * The metadata log as kb wrote it before the Raft quorum (a test fixture):
 * a storage Log in the data dir's `metadata/` where each append is one
 * Kafka v2 record batch whose records' values are msgpack-encoded
 * MetadataRecords, all of epoch 0. Tests write such a directory to check
 * that today's Raft log store (and so an upgraded broker) reads it.
 */
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { Log } from '../../src/storage/log.ts';
import type { Logger } from '../../src/logger.ts';
import { encodeMetadataRecord, type MetadataRecord } from '../../src/metadata/records.ts';

/** The quorum epoch stamped on batches; a single voter stays in epoch 0 until Raft arrives. */
const singleVoterEpoch = 0;

export class MetadataLog {
  private readonly dir: string;
  private readonly logger: Logger | undefined;
  private log: Log | null = null;

  constructor(dir: string, logger?: Logger) {
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
