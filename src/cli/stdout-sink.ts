/**
 * Writing a pipeline command's output to stdout with backpressure (waits
 * for 'drain') and a quiet end when the reader goes away: EPIPE (e.g.
 * `| head -3` has exited) closes the sink instead of crashing, so the
 * command stops and exits 0 with nothing on stderr. Any other write error
 * (a full disk) is thrown from the next write. `close()` stops it from the
 * inside (SIGINT). The error listener stays attached for the life of the
 * process, so later writes to the dead pipe cannot crash it either.
 */
export class StdoutSink {
  closed = false;
  private readonly stream: NodeJS.WritableStream;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(stream: NodeJS.WritableStream = process.stdout) {
    this.stream = stream;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') this.failure = err;
      this.close();
    });
  }

  /** Writes `bytes`, resolving once the stream can take more; a no-op once closed. */
  async write(bytes: Buffer): Promise<void> {
    if (this.failure) throw new Error(`cannot write the output: ${this.failure.message}`);
    if (this.closed || bytes.length === 0) return;
    if (this.stream.write(bytes)) return;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.stream.once('drain', () => this.release());
    });
  }

  /** Stops output for good and releases a writer waiting for 'drain'. */
  close(): void {
    this.closed = true;
    this.release();
  }

  private release(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
