/**
 * Parsing repeatable `key=value` flags (--config, --set, --header) into an
 * object; a missing '=' or empty key is an error naming the flag.
 */
export function parseKeyValues(items: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`${flag} ${item}: expected key=value`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1);
  }
  return out;
}
