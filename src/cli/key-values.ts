/**
 * Parsing repeatable `key=value` flags (--config, --set, --header): as an
 * ordered list of pairs (repeated keys kept, for headers) or as an object
 * (the last value of a key wins). A missing '=' or an empty key is an error
 * naming the flag.
 */
export function parseKeyValuePairs(items: string[], flag: string): [string, string][] {
  return items.map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`${flag} ${item}: expected key=value`);
    return [item.slice(0, eq).trim(), item.slice(eq + 1)];
  });
}

export function parseKeyValues(items: string[], flag: string): Record<string, string> {
  return Object.fromEntries(parseKeyValuePairs(items, flag));
}
