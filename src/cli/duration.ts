/**
 * Durations on the command line: a positive number with a unit (`500ms`,
 * `10s`, `2m`, `1h`), or a bare number in `bareUnit` (`kb health
 * --timeout 10`: seconds, as Nagios plugins take it). Returns milliseconds;
 * throws an Error naming the accepted forms.
 */
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, bareUnit: 'ms' | 's' | 'm' | 'h', maxMs: number): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Math.round(Number(match[1]) * unitMs[match[2] ?? bareUnit]) : Number.NaN;
  if (!(ms >= 1 && ms <= maxMs)) throw new Error(`${text}: expected a duration such as 10 (${bareUnit === 's' ? 'seconds' : bareUnit}), 10s, 500ms, 2m, at most ${maxMs / 3_600_000}h`);
  return ms;
}
