/**
 * The child process of crash.test.ts: opens the log in argv[2] and, driven
 * by the seed in argv[3], appends forever with an occasional roll, flush,
 * truncation, DeleteRecords, retention pass, checkpoint or recovery flush
 * (not awaited: appends go on during it), until the parent
 * kills it with SIGKILL. It reports on stdout (synchronous for pipes), one
 * line per event, so the parent knows what must survive:
 *   ready
 *   A <base> <last> <hash>   appended and durable (flush.messages=1 mode)
 *   W <base> <last> <hash>   appended, not yet durable (explicit-flush mode)
 *   F <end>                  flushed: everything below <end> is durable
 *   T <offset>               about to truncate to <offset>
 *   S <offset>               about to let the log start move up to <offset>
 * <hash> is the SHA-1 prefix of the stored batch bytes.
 */
import { createHash } from 'node:crypto';
import { Log } from '../../src/storage/log.ts';
import { never } from '../../src/storage/log-config.ts';
import { makeBatch } from './helpers.ts';
import { silentLogger } from '../../src/logger.ts';

const [dir, seedText] = process.argv.slice(2);
let seed = Number(seedText) >>> 0 || 1;
function random(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

const durableEach = random(2) === 0;
const log = await Log.open(
  dir,
  { segmentBytes: 24 * 1024, indexIntervalBytes: 512, retentionBytes: 200 * 1024, fileDeleteDelayMs: random(2) === 0 ? 0 : 20, flushMessages: durableEach ? 1 : never },
  { logger: silentLogger },
);
const say = (line: string) => process.stdout.write(`${line}\n`);
say('ready');

for (let n = 0; ; n++) {
  const op = random(100);
  if (op < 85) {
    const records = 1 + random(5);
    const batch = makeBatch({ values: Array.from({ length: records }, (_, i) => `${n}-${i}-${'x'.repeat(random(3) === 0 ? random(3000) : random(100))}`) });
    const { baseOffset, lastOffset } = await log.append(batch, Math.floor(n / 200));
    log.updateHighWatermark(log.logEndOffset);
    say(`${durableEach ? 'A' : 'W'} ${baseOffset} ${lastOffset} ${createHash('sha1').update(batch).digest('hex').slice(0, 16)}`);
  } else if (op < 89) {
    const end = log.logEndOffset;
    await log.flush();
    say(`F ${end}`);
  } else if (op < 91) {
    await log.roll();
  } else if (op < 93) {
    const target = log.logEndOffset - BigInt(random(30));
    if (target >= log.logStartOffset) {
      say(`T ${target}`);
      await log.truncateTo(target);
      log.updateHighWatermark(log.logEndOffset);
    }
  } else if (op < 95) {
    const span = Number(log.logEndOffset - log.logStartOffset);
    const target = log.logStartOffset + BigInt(random(Math.max(1, Math.floor(span / 4))));
    say(`S ${target}`);
    await log.deleteRecordsBefore(target);
  } else if (op < 97) {
    say(`S ${log.highWatermark}`);
    await log.enforceRetention();
  } else if (op < 98) {
    await log.checkpoint();
  } else {
    void log.flushRecoveryPoint(); // runs on while the next appends go in, as the log manager's does
  }
}
