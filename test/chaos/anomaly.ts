/** An anomaly the checker counts (checker.ts, txn-checker.ts): how often it happened, with up to `exampleLimit` examples. */

/** Examples kept per anomaly. */
export const exampleLimit = 10;

export interface Anomaly {
  count: number;
  examples: string[];
}

export function anomaly(): Anomaly {
  return { count: 0, examples: [] };
}

/** Counts one occurrence of `a`, keeping `example` while there are fewer than `exampleLimit`. */
export function note(a: Anomaly, example: string): void {
  a.count++;
  if (a.examples.length < exampleLimit) a.examples.push(example);
}
