/**
 * stdout for pipeline use. `endQuietlyWhenStdoutCloses` (installed by the
 * entry points before anything runs) makes a closed reader — `kb consume t
 * | head -3`, `kb topic list | head -1`, `kb --help | head` — end the CLI
 * at once with exit 0 and nothing on stderr, instead of an EPIPE crash or a
 * hang; any other write error (a full disk) exits 1 with one line saying
 * so. `writeStdout` writes with backpressure: it resolves once stdout can
 * take more.
 */
import { once } from 'node:events';

export function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`Error: cannot write the output: ${err.message}\n`);
    process.exit(1);
  });
}

export async function writeStdout(bytes: Buffer): Promise<void> {
  if (bytes.length === 0 || process.stdout.write(bytes)) return;
  await once(process.stdout, 'drain');
}
