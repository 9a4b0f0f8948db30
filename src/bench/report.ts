/**
 * One-line summaries of `kb bench produce` / `kb bench consume` results for
 * people, in the spirit of Kafka's perf tools: counts, records/s, MB/s
 * (2^20 bytes) and, for produce, latency avg/p50/p95/p99/p99.9/max in ms.
 */
import type { ConsumePerfResult } from './consume-perf.ts';
import type { ProducePerfResult } from './produce-perf.ts';

const fixed = (n: number, digits: number) => n.toFixed(digits);

export function produceSummary(r: ProducePerfResult): string {
  const l = r.latency;
  const lines = [
    `${r.records} records sent in ${fixed(r.seconds, 2)} s: ${fixed(r.recordsPerSec, 1)} records/s (${fixed(r.mbPerSec, 2)} MB/s)`,
    `latency ms: avg ${fixed(l.avgMs, 2)}, p50 ${l.p50Ms}, p95 ${l.p95Ms}, p99 ${l.p99Ms}, p99.9 ${l.p999Ms}, max ${l.maxMs}`,
  ];
  if (r.failed > 0) lines.push(`${r.failed} records failed, first: ${r.firstError}`);
  return lines.join('\n');
}

export function consumeSummary(r: ConsumePerfResult): string {
  const end = r.complete ? '' : ' (time limit reached before the end)';
  return `${r.records} records consumed in ${fixed(r.seconds, 2)} s with ${r.fetches} fetches: ${fixed(r.recordsPerSec, 1)} records/s (${fixed(r.mbPerSec, 2)} MB/s)${end}`;
}
