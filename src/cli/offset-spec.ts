/**
 * `kb consume -o` offset specs and their resolution to a start offset per
 * partition: `beginning` (log start), `end` (the high watermark: only new
 * records), `N` (absolute; clamped into [log start, end]), `-N` (N records
 * before the end, not before the log start), `@TIMESTAMP_MS` (the first
 * record at or after that time, or the end when there is none).
 */
import type { Cluster } from '../client/cluster.ts';
import { listOffsets, offsetSpec } from '../client/consumer.ts';
import { int64Max } from '../protocol/wire-limits.ts';

export type OffsetSpec =
  | { kind: 'beginning' }
  | { kind: 'end' }
  | { kind: 'absolute'; offset: bigint }
  | { kind: 'fromEnd'; count: bigint }
  | { kind: 'timestamp'; timestamp: bigint };

/** Parses an offset spec; throws an Error describing the accepted forms. */
export function parseOffsetSpec(text: string): OffsetSpec {
  if (text === 'beginning') return { kind: 'beginning' };
  if (text === 'end') return { kind: 'end' };
  if (/^\d+$/.test(text)) return { kind: 'absolute', offset: BigInt(text) };
  if (/^-\d+$/.test(text)) return { kind: 'fromEnd', count: -BigInt(text) };
  const timestamp = /^@\d+$/.test(text) ? BigInt(text.slice(1)) : null;
  if (timestamp !== null && timestamp <= int64Max) return { kind: 'timestamp', timestamp };
  throw new Error(`"${text}" is not an offset: use beginning, end, N, -N or @TIMESTAMP_MS (at most ${int64Max})`);
}

/** The offset to start each of `partitions` of `topic` at. */
export async function resolveOffsetSpec(cluster: Cluster, topic: string, partitions: number[], spec: OffsetSpec): Promise<Map<number, bigint>> {
  if (spec.kind === 'beginning') return listOffsets(cluster, topic, partitions, offsetSpec.earliest);
  const ends = await listOffsets(cluster, topic, partitions, offsetSpec.latest);
  if (spec.kind === 'end') return ends;
  if (spec.kind === 'timestamp') {
    const found = await listOffsets(cluster, topic, partitions, spec.timestamp);
    return new Map(partitions.map((p) => [p, found.get(p)! < 0n ? ends.get(p)! : found.get(p)!]));
  }
  const starts = await listOffsets(cluster, topic, partitions, offsetSpec.earliest);
  const clamp = (p: number, offset: bigint) => {
    const [start, end] = [starts.get(p)!, ends.get(p)!];
    return offset < start ? start : offset > end ? end : offset;
  };
  return new Map(partitions.map((p) => [p, clamp(p, spec.kind === 'absolute' ? spec.offset : ends.get(p)! - spec.count)]));
}
