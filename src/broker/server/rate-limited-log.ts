/**
 * A log line that a hostile peer can trigger at will, written at most once
 * per interval: the lines in between are counted, and the next line
 * written says how many were left out.
 */
export class RateLimitedLog {
  private unlogged = 0;
  private loggedAt = -Infinity;

  private readonly write: (line: string) => void;
  private readonly intervalMs: number;
  private readonly what: string;

  /** `what`: how the left-out lines are counted ("more refused"). */
  constructor(write: (line: string) => void, intervalMs: number, what: string) {
    this.write = write;
    this.intervalMs = intervalMs;
    this.what = what;
  }

  note(line: string): void {
    this.unlogged++;
    const now = performance.now();
    if (now - this.loggedAt < this.intervalMs) return;
    const others = this.unlogged > 1 ? ` (${this.unlogged - 1} ${this.what} since the last such line)` : '';
    this.write(`${line}${others}`);
    this.unlogged = 0;
    this.loggedAt = now;
  }
}
