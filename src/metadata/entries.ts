/**
 * How metadata travels through the Raft quorum: the payload of one data
 * entry of the metadata log, and the data of a metadata snapshot.
 *
 * Formats (MessagePack, records as in records.ts):
 * - Entry payload: an array of MetadataRecords, the records of one
 *   controller proposal, committed and applied together. A payload that is
 *   a single record (a map, not an array) is one record: that is how the
 *   pre-Raft metadata log stored them (one record per Kafka record), and
 *   the Raft log store reads such a log as one entry per record.
 * - Snapshot data: an array of MetadataRecords that rebuilds the image
 *   from empty (MetadataImage.toRecords).
 */
import { Packr } from 'msgpackr';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './records.ts';

const packr = new Packr({ useRecords: false, moreTypes: false });

export function encodeMetadataEntry(records: readonly MetadataRecord[]): Buffer {
  return packr.pack(records.map((r) => encodeMetadataRecord(r)));
}

/** The records of an entry payload or of snapshot data; throws on bytes that are neither. */
export function decodeMetadataEntry(payload: Uint8Array): MetadataRecord[] {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const value: unknown = packr.unpack(bytes);
  if (!Array.isArray(value)) return [decodeMetadataRecord(bytes)];
  return value.map((item) => {
    if (!(item instanceof Uint8Array)) throw new Error('metadata entry holds something other than encoded records');
    return decodeMetadataRecord(Buffer.from(item.buffer, item.byteOffset, item.byteLength));
  });
}

export const encodeMetadataSnapshot = encodeMetadataEntry;
export const decodeMetadataSnapshot = decodeMetadataEntry;
