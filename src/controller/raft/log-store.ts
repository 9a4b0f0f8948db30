/**
 * A RaftLogStore (persistence.ts) on disk: the entries in a storage Log
 * (storage/log.ts) in one directory, the latest snapshot in a file beside
 * its segments.
 *
 * On-disk format:
 * - Entries: each entry is one Kafka v2 record batch holding one record,
 *   with baseOffset = the entry's offset, partitionLeaderEpoch = its epoch
 *   and the payload as the record's value. A `data` entry is an ordinary
 *   batch; a `leaderChange` entry is a control batch whose record key is
 *   Kafka's control key (int16 version 0, int16 type 2 = LEADER_CHANGE).
 *   This is the metadata log's representation (metadata/metadata-log.ts):
 *   a directory it wrote reads back as `data` entries of epoch 0, one per
 *   record of its multi-record batches.
 * - Snapshot: `raft-snapshot`, one MessagePack map
 *     { version: 1, endOffset: int, epoch: int, data: bin }
 *   written with storage/checkpoint.ts writeAtomically.
 *
 * Contract (beyond the interface's):
 * - Every change is durable when its promise resolves: the Log fsyncs each
 *   append (flush.messages=1) and its truncations and start-offset moves.
 * - `saveSnapshot` writes the snapshot file, then drops the log prefix
 *   below its end offset (deleteRecordsBefore, or truncateFullyAndStartAt
 *   when the log ends below it). `read` repeats that drop first, finishing
 *   a save a crash interrupted, then requires the log to start where the
 *   snapshot ends (at 0 without one) and to hold contiguous entries.
 * - `truncateTo` is exact for this store's one-entry batches. A Log drops a
 *   batch straddling the truncation offset whole, so for a multi-entry
 *   batch written by the metadata log its entries below the offset are
 *   appended again afterwards; a crash in between loses them (only such
 *   legacy batches are exposed to that).
 */
import type { Clock } from '../../clock.ts';
import { decodeRecordBatch, encodeRecordBatch } from '../../protocol/records/record-batch.ts';
import { recordBatches } from '../../protocol/records/batch-splitter.ts';
import { writeAtomically } from '../../storage/checkpoint.ts';
import { resolveEnvironment, type StorageEnvironment } from '../../storage/environment.ts';
import type { StorageFs } from '../../storage/fs.ts';
import { Log } from '../../storage/log.ts';
import type { PersistedLog, RaftLogStore } from './persistence.ts';
import type { LogEntry, Snapshot } from './raft-log.ts';
import { isNonNegativeInteger, readStateFile } from './quorum-state-store.ts';

export const snapshotFile = 'raft-snapshot';
const snapshotVersion = 1;
const readChunkBytes = 4 * 1024 * 1024;
/** Kafka's ControlRecordType.LEADER_CHANGE. */
const leaderChangeControlType = 2;

function leaderChangeKey(): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(leaderChangeControlType, 2);
  return key;
}

function encodeEntry(entry: LogEntry, wallMs: number): Buffer {
  const control = entry.kind === 'leaderChange';
  return encodeRecordBatch({
    baseOffset: BigInt(entry.offset),
    partitionLeaderEpoch: entry.epoch,
    baseTimestamp: BigInt(wallMs),
    control,
    records: [{ key: control ? leaderChangeKey() : null, value: Buffer.from(entry.payload.buffer, entry.payload.byteOffset, entry.payload.byteLength) }],
  });
}

/** The entries with offsets in [from, to) of whole batches read back to back from a Log. */
function decodeEntries(chunk: Buffer, from: number, to: number): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const span of recordBatches(chunk)) {
    if (!span.complete) throw new Error('the log returned a partial batch');
    const batch = decodeRecordBatch(span.bytes);
    for (const record of batch.records) {
      const offset = Number(batch.baseOffset) + record.offsetDelta;
      if (offset < from || offset >= to) continue;
      if (batch.control && (record.key === null || record.key.length < 4 || record.key.readInt16BE(2) !== leaderChangeControlType)) {
        throw new Error(`control record at offset ${offset} is not a leader change`);
      }
      if (record.value === null) throw new Error(`record at offset ${offset} has no value`);
      entries.push({ offset, epoch: batch.partitionLeaderEpoch, kind: batch.control ? 'leaderChange' : 'data', payload: new Uint8Array(record.value) });
    }
  }
  return entries;
}

export class DiskRaftLogStore implements RaftLogStore {
  private readonly log: Log;
  private readonly fs: StorageFs;
  /** Stamps the entries' batches (wall clock). */
  private readonly clock: Clock;

  private constructor(log: Log, env: StorageEnvironment) {
    this.log = log;
    this.fs = env.fs;
    this.clock = env.clock;
  }

  /** Opens (creating when missing) the store in `dir`. */
  static async open(dir: string, environment: Partial<StorageEnvironment> = {}): Promise<DiskRaftLogStore> {
    const env = resolveEnvironment(environment);
    const log = await Log.open(dir, { flushMessages: 1 }, env);
    return new DiskRaftLogStore(log, env);
  }

  private get start(): number {
    return Number(this.log.logStartOffset);
  }

  private get end(): number {
    return Number(this.log.logEndOffset);
  }

  async read(): Promise<PersistedLog> {
    const snapshot = await this.readSnapshot();
    const base = snapshot?.id.endOffset ?? 0;
    await this.dropBelow(base);
    if (this.start !== base) throw new Error(`${this.log.dir}: the log starts at ${this.start}, not at the snapshot end ${base}`);
    const entries: LogEntry[] = [];
    while (base + entries.length < this.end) {
      const next = base + entries.length;
      const chunk = decodeEntries(await this.log.read(BigInt(next), readChunkBytes), next, this.end);
      if (chunk.length === 0) throw new Error(`${this.log.dir}: entry ${next} is missing`);
      for (const entry of chunk) {
        if (entry.offset !== base + entries.length) throw new Error(`${this.log.dir}: entry ${base + entries.length} is missing`);
        entries.push(entry);
      }
    }
    return { snapshot, entries };
  }

  async append(entries: readonly LogEntry[]): Promise<void> {
    entries.forEach((entry, i) => {
      if (entry.offset !== this.end + i) throw new Error(`entry ${entry.offset} does not continue the log ending at ${this.end + i}`);
    });
    await Promise.all(entries.map((entry) => this.log.appendAsFollower(encodeEntry(entry, this.clock.wallMs()))));
  }

  async truncateTo(offset: number): Promise<void> {
    const start = this.start;
    if (offset >= this.end) return;
    if (offset < start) throw new Error(`cannot truncate to ${offset}: the log starts at ${start}`);
    const straddled = decodeEntries(await this.log.read(BigInt(offset), 1), start, offset);
    await this.log.truncateTo(BigInt(offset));
    if (this.start !== start) await this.log.truncateFullyAndStartAt(BigInt(start));
    await this.append(straddled.filter((entry) => entry.offset >= this.end));
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const { endOffset, epoch } = snapshot.id;
    await writeAtomically(this.fs, this.log.dir, snapshotFile, { version: snapshotVersion, endOffset, epoch, data: snapshot.data });
    await this.dropBelow(endOffset);
  }

  close(): Promise<void> {
    return this.log.close();
  }

  /** Drops the entries below `offset`; a log ending below it restarts empty there. */
  private async dropBelow(offset: number): Promise<void> {
    if (this.end < offset) await this.log.truncateFullyAndStartAt(BigInt(offset));
    else if (this.start < offset) await this.log.deleteRecordsBefore(BigInt(offset));
  }

  private async readSnapshot(): Promise<Snapshot | null> {
    const stored = await readStateFile(this.fs, this.log.dir, snapshotFile, snapshotVersion);
    if (stored === null) return null;
    const { endOffset, epoch, data } = stored;
    if (!isNonNegativeInteger(endOffset) || !isNonNegativeInteger(epoch) || !(data instanceof Uint8Array)) throw new Error(`${this.log.dir}/${snapshotFile} holds an invalid snapshot`);
    return { id: { endOffset, epoch }, data: new Uint8Array(data) };
  }
}
