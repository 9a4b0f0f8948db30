/**
 * A one-line progress indicator on stderr for long operations, drawn only
 * when stderr is a TTY (never in pipelines or logs): a bar with a
 * percentage and the time left when the total is known, a running count
 * otherwise, and the rate (counts formatted by `format`, e.g. as bytes). Redrawn at most every 100 ms; `done()` erases the line so what
 * follows starts clean.
 */
const redrawEveryMs = 100;
const barWidth = 30;

export class Progress {
  private readonly label: string;
  private readonly total: number | null;
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private readonly started = Date.now();
  private readonly format: (n: number) => string;
  private count = 0;
  private drawnAt = 0;

  constructor(label: string, total: number | null, stream: NodeJS.WriteStream = process.stderr, format: (n: number) => string = String) {
    this.label = label;
    this.total = total;
    this.stream = stream;
    this.format = format;
    this.enabled = Boolean(stream.isTTY);
  }

  advance(by = 1): void {
    this.count += by;
    if (!this.enabled || Date.now() - this.drawnAt < redrawEveryMs) return;
    this.drawnAt = Date.now();
    this.stream.write(`\r\x1b[2K${this.line()}`);
  }

  private line(): string {
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    const perSecond = this.count / seconds;
    const rate = `${this.format(Math.round(perSecond))}/s`;
    if (this.total === null || this.total <= 0) return `${this.label} ${this.format(this.count)} (${rate})`;
    const fraction = Math.min(this.count / this.total, 1);
    const filled = Math.round(fraction * barWidth);
    const eta = perSecond > 0 && fraction < 1 ? `, ETA ${Math.ceil((this.total - this.count) / perSecond)}s` : '';
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${Math.floor(fraction * 100)}% ${this.format(this.count)}/${this.format(this.total)} (${rate}${eta})`;
  }

  done(): void {
    if (this.enabled && this.drawnAt > 0) this.stream.write('\r\x1b[2K');
  }
}
