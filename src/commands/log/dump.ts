/**
 * `kb log dump <segment.log>`: prints the entries of a segment file, like
 * kafka-dump-log: one line per batch (offsets, count, producer fields,
 * epoch, position, timestamp, sizes, codec, CRC and whether every checksum
 * holds), with --records one line per record, and where reading stopped if
 * the file ends in a torn or corrupt entry. Works on files only, no broker
 * needed. --json gives the SegmentDump of src/storage/segment-dump.ts.
 * Exit 1 when the file cannot be read or is not a segment file.
 */
import { Args, Flags } from '@oclif/core';
import { KbLocalCommand, UserError } from '../../cli/kb-command.ts';
import { describeIoError } from '../../storage/errors.ts';
import { dumpSegment, type DumpedEntry, type SegmentDump } from '../../storage/segment-dump.ts';

export default class LogDump extends KbLocalCommand {
  static override description = 'Print the batches (and with --records the records) of a segment file, checking every checksum';

  static override examples = [
    '<%= config.bin %> log dump kb-data/logs/orders-0/00000000000000000000.log',
    '<%= config.bin %> log dump --records kb-data/logs/orders-0/00000000000000000000.log',
    '<%= config.bin %> log dump --json kb-data/logs/orders-0/00000000000000000000.log',
  ];

  static override enableJsonFlag = true;

  static override args = {
    file: Args.string({ description: 'a segment file: <20-digit base offset>.log in a partition directory', required: true }),
  };

  static override flags = {
    records: Flags.boolean({ description: 'decode and print every record', default: false }),
  };

  async run(): Promise<SegmentDump> {
    const { args, flags } = await this.parse(LogDump);
    let dump: SegmentDump;
    try {
      dump = await dumpSegment(args.file, { records: flags.records });
    } catch (err) {
      throw new UserError(`cannot read ${args.file}: ${describeIoError(err)}`);
    }
    if (dump.entries.length === 0 && dump.stoppedAt) {
      throw new UserError(`${args.file} is not a kb segment file: ${dump.stoppedAt.reason}`);
    }
    if (!this.jsonEnabled()) this.print(dump);
    return dump;
  }

  private print(dump: SegmentDump): void {
    this.log(`Dumping ${dump.file} (${dump.sizeBytes} bytes)`);
    this.log(`Starting offset: ${dump.baseOffset ?? 'unknown (not a segment file name)'}`);
    for (const entry of dump.entries) {
      this.log(batchLine(entry));
      for (const r of entry.records ?? []) {
        const headers = r.headers.map((h) => h.key).join(',');
        const sizes = `keySize: ${r.key === null ? -1 : Buffer.byteLength(r.key)} valueSize: ${r.value === null ? -1 : Buffer.byteLength(r.value)} headerKeys: [${headers}]`;
        const content = entry.marker ? `endTxnMarker: ${entry.marker.type} coordinatorEpoch: ${entry.marker.coordinatorEpoch}` : `key: ${r.key ?? 'null'} payload: ${r.value ?? 'null'}`;
        this.log(`| offset: ${r.offset} ${entry.timestampType}: ${r.timestamp} ${sizes} ${content}`);
      }
    }
    if (dump.stoppedAt) this.log(`Stopped at byte ${dump.stoppedAt.position} of ${dump.sizeBytes}: ${dump.stoppedAt.reason}`);
  }
}

function batchLine(e: DumpedEntry): string {
  const lastSequence = e.baseSequence < 0 ? -1 : e.baseSequence + e.count - 1;
  const valid = e.valid ? 'true' : `false (${e.invalidReason})`;
  return (
    `baseOffset: ${e.baseOffset} lastOffset: ${e.lastOffset} count: ${e.count} baseSequence: ${e.baseSequence} lastSequence: ${lastSequence} ` +
    `producerId: ${e.producerId} producerEpoch: ${e.producerEpoch} partitionLeaderEpoch: ${e.leaderEpoch} isTransactional: ${e.transactional} ` +
    `isControl: ${e.control} position: ${e.position} ${e.timestampType}: ${e.maxTimestamp} size: ${e.batchBytes} entrySize: ${e.entryBytes} ` +
    `compresscodec: ${e.codec} crc: ${e.crc} isvalid: ${valid}`
  );
}
