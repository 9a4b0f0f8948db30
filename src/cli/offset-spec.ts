/**
 * Offset specs, the one vocabulary of `kb consume -o` and `kb group
 * reset-offsets --to`, and their resolution to an offset per partition:
 *
 * - `earliest` (or `beginning`): the log start;
 * - `latest` (or `end`): the high watermark (only new records);
 * - `N`: that offset, clamped into [log start, end];
 * - `-N`: N records before the end, not before the log start;
 * - `@TIMESTAMP`: the first record at or after that time, or the end when
 *   there is none. TIMESTAMP is milliseconds since the epoch (at most
 *   int64), an ISO-8601 date (`@2024-05-01`, `@2024-05-01T12:00:00Z`;
 *   without a zone, local time), or a duration before now (`@-10m`; units
 *   ms, s, m, h, d), read when the spec is parsed.
 */
import type { Cluster } from '../client/cluster.ts';
import { listOffsets, offsetSpec, type IsolationLevel } from '../client/consumer.ts';
import { int64Max } from '../protocol/wire-limits.ts';

export type OffsetSpec =
  | { kind: 'beginning' }
  | { kind: 'end' }
  | { kind: 'absolute'; offset: bigint }
  | { kind: 'fromEnd'; count: bigint }
  | { kind: 'timestamp'; timestamp: bigint };

/** The accepted forms, for error messages and flag help. */
export const offsetSpecForms =
  `expected earliest, latest, an offset, or @TIMESTAMP: earliest (or beginning), latest (or end), N, -N (N before the end), ` +
  `@MS since the epoch (at most ${int64Max}), @ISO-8601 date (e.g. @2024-05-01T00:00:00Z) or @-DURATION before now (e.g. @-10m; ms, s, m, h, d)`;

const unitMs: Record<string, bigint> = { ms: 1n, s: 1000n, m: 60_000n, h: 3_600_000n, d: 86_400_000n };
const isoDate = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** Parses an offset spec (`now`: for relative times); throws an Error naming the accepted forms. */
export function parseOffsetSpec(text: string, now = Date.now()): OffsetSpec {
  if (text === 'earliest' || text === 'beginning') return { kind: 'beginning' };
  if (text === 'latest' || text === 'end') return { kind: 'end' };
  if (/^\d+$/.test(text)) return { kind: 'absolute', offset: BigInt(text) };
  if (/^-\d+$/.test(text)) return { kind: 'fromEnd', count: -BigInt(text) };
  const timestamp = text.startsWith('@') ? parseTimestamp(text.slice(1), now) : null;
  if (timestamp !== null && timestamp >= 0n && timestamp <= int64Max) return { kind: 'timestamp', timestamp };
  throw new Error(`"${text}" is not an offset: ${offsetSpecForms}`);
}

/** Milliseconds since the epoch of a TIMESTAMP form; null when it is none. */
function parseTimestamp(text: string, now: number): bigint | null {
  if (/^\d+$/.test(text)) return BigInt(text);
  const relative = /^-(\d+)(ms|s|m|h|d)$/.exec(text);
  if (relative) return BigInt(now) - BigInt(relative[1]) * unitMs[relative[2]];
  const ms = isoDate.test(text) ? Date.parse(text) : NaN;
  return Number.isFinite(ms) ? BigInt(ms) : null;
}

/** The offset each of `partitions` of `topic` is at by `spec` (the end a reader in `isolation` sees: read_committed's is the last stable offset). */
export async function resolveOffsetSpec(cluster: Cluster, topic: string, partitions: number[], spec: OffsetSpec, isolation: IsolationLevel = 'read_uncommitted'): Promise<Map<number, bigint>> {
  if (spec.kind === 'beginning') return listOffsets(cluster, topic, partitions, offsetSpec.earliest);
  const ends = await listOffsets(cluster, topic, partitions, offsetSpec.latest, isolation);
  if (spec.kind === 'end') return ends;
  if (spec.kind === 'timestamp') {
    const found = await listOffsets(cluster, topic, partitions, spec.timestamp, isolation);
    return new Map(partitions.map((p) => [p, found.get(p)! < 0n ? ends.get(p)! : found.get(p)!]));
  }
  return clampToLog(cluster, topic, new Map(partitions.map((p) => [p, spec.kind === 'absolute' ? spec.offset : ends.get(p)! - spec.count])), ends);
}

/** Each wanted offset clamped into its partition's [log start, end] (`ends`: the ends when already known). */
export async function clampToLog(cluster: Cluster, topic: string, wanted: Map<number, bigint>, ends?: Map<number, bigint>): Promise<Map<number, bigint>> {
  const partitions = [...wanted.keys()];
  const [starts, known] = await Promise.all([
    listOffsets(cluster, topic, partitions, offsetSpec.earliest),
    ends ?? listOffsets(cluster, topic, partitions, offsetSpec.latest),
  ]);
  return new Map(
    partitions.map((p) => {
      const [offset, start, end] = [wanted.get(p)!, starts.get(p)!, known.get(p)!];
      return [p, offset < start ? start : offset > end ? end : offset];
    }),
  );
}
