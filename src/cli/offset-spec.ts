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
 *   ms, s, m, h, d), read when the spec is parsed; kcat's `s@TIMESTAMP`
 *   says the same.
 *
 * `kb consume` also takes kcat's `e@TIMESTAMP` beside a start
 * (`-o s@T1 -o e@T2`, `parseOffsetRange`): each partition ends at its first
 * record at or after T2.
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
  const timestamp = /^s?@/.test(text) ? parseTimestamp(text.slice(text.indexOf('@') + 1), now) : null;
  if (timestamp !== null) return { kind: 'timestamp', timestamp };
  throw new Error(`"${text}" is not an offset: ${offsetSpecForms}`);
}

export interface OffsetRange {
  start: OffsetSpec;
  /** Each partition ends at its first record at or after this time (null: no end time). */
  endTimestamp: bigint | null;
}

/** Parses kb consume's -o values: at most one start spec and at most one e@TIMESTAMP (start: beginning by default). */
export function parseOffsetRange(texts: string[], now = Date.now()): OffsetRange {
  const ends = texts.filter((t) => t.startsWith('e@'));
  const starts = texts.filter((t) => !t.startsWith('e@'));
  if (starts.length > 1 || ends.length > 1) throw new Error(`-o takes one start and one e@TIMESTAMP end, not ${texts.map((t) => `-o ${t}`).join(' ')}`);
  const endTimestamp = ends.length === 1 ? parseTimestamp(ends[0].slice(2), now) : null;
  if (ends.length === 1 && endTimestamp === null) throw new Error(`"${ends[0]}" is not an end time: e@ then ms since the epoch, an ISO-8601 date or a -DURATION before now (e.g. e@-10m)`);
  return { start: parseOffsetSpec(starts[0] ?? 'beginning', now), endTimestamp };
}

/** Milliseconds since the epoch of a TIMESTAMP form, in [0, int64Max]; null when it is none. */
function parseTimestamp(text: string, now: number): bigint | null {
  const ms = millisecondsOf(text, now);
  return ms !== null && ms >= 0n && ms <= int64Max ? ms : null;
}

function millisecondsOf(text: string, now: number): bigint | null {
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
