/**
 * Notices that stdout's reader has gone while nothing is written (`kb
 * consume t | head -3` on an idle topic), which Node cannot: it has no way
 * to poll a pipe for its reader closing. When stdout is a pipe,
 * `watchStdoutReader` starts GNU tail on it (`tail -f --pid=KB /dev/null`
 * writes nothing; coreutils 8.28+ polls its stdout and dies of SIGPIPE
 * within about a second of the reader closing) and calls `gone` when tail
 * dies so. --pid ends tail within a second of kb's end, even after a kill
 * -9, so it never holds the pipe open behind kb; the returned stop
 * function ends it at once. Without GNU tail (or with a tail that exits
 * for another reason) nothing is watched and the next write notices, as
 * before (src/cli/stdout.ts).
 */
import { spawn } from 'node:child_process';
import { fstatSync } from 'node:fs';

export function watchStdoutReader(gone: () => void): () => void {
  if (!fstatSync(1).isFIFO()) return () => {};
  const tail = spawn('tail', ['-f', `--pid=${process.pid}`, '/dev/null'], { stdio: ['ignore', 'inherit', 'ignore'] });
  tail.on('error', () => {});
  tail.on('exit', (_code, signal) => {
    if (signal === 'SIGPIPE') gone();
  });
  tail.unref();
  return () => {
    tail.kill();
  };
}
