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
  private readonly now: () => number;

  /** `what`: how the left-out lines are counted ("more refused"); `now`: a monotonic clock in ms. */
  constructor(write: (line: string) => void, intervalMs: number, what: string, now: () => number = () => performance.now()) {
    this.write = write;
    this.intervalMs = intervalMs;
    this.what = what;
    this.now = now;
  }

  note(line: string): void {
    this.unlogged++;
    const now = this.now();
    if (now - this.loggedAt < this.intervalMs) return;
    const others = this.unlogged > 1 ? ` (${this.unlogged - 1} ${this.what} since the last such line)` : '';
    this.write(`${line}${others}`);
    this.unlogged = 0;
    this.loggedAt = now;
  }
}
