/**
 * Crash safety under kill -9: a child process (crash-child.ts) appends and
 * reports; it is killed with SIGKILL at a random moment, many times over the
 * same directory. After each kill the log is reopened here and must hold
 * every append the child reported as durable, byte for byte, end at an entry
 * boundary in every segment, and serve only valid batches.
 * KB_CRASH_ITERATIONS sets the number of kills (default 24).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchCrcValid, batchSize } from '../../src/protocol/records/batch-header.ts';
import { decodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { EntryScanner } from '../../src/storage/entry-scanner.ts';
import { nodeStorageFs } from '../../src/storage/fs.ts';
import { Log } from '../../src/storage/log.ts';
import { recordingLogger, tempDir } from './helpers.ts';

const iterations = Number(process.env.KB_CRASH_ITERATIONS ?? 24);
const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.ts');

interface Expected {
  last: bigint;
  hash: string;
}

/** Runs the child until a random kill; returns its report lines. */
function runAndKill(dir: string, seed: number, killAfterMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (out === '' && d.startsWith('ready')) setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      out += d;
    });
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const fallback = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(fallback);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${err}`));
      else resolve(out.split('\n').filter((l) => l !== ''));
    });
  });
}

async function assertSegmentsWhole(dir: string): Promise<void> {
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.log'))) {
    const file = await nodeStorageFs.open(path.join(dir, name), 'r');
    try {
      const { size } = await file.stat();
      const scanner = new EntryScanner(file, 0, size, { verify: true });
      while (await scanner.next());
      assert.equal(scanner.problem, null, `${name}: ${scanner.problem}`);
      assert.equal(scanner.position, size, `${name} ends at an entry boundary`);
    } finally {
      await file.close();
    }
  }
}

test(`every durable append survives ${iterations} kill -9s at random moments`, { timeout: 180_000 }, async (t) => {
  const dir = await tempDir(t, 'kb-crash-');
  const expected = new Map<bigint, Expected>();
  const pending = new Map<bigint, Expected>();
  let startCeiling = 0n;
  let reported = 0;
  for (let i = 0; i < iterations; i++) {
    const seed = 1 + i * 7919;
    const lines = await runAndKill(dir, seed, seed % 3 === 0 ? (seed % 40) : 20 + (seed % 300));
    for (const line of lines) {
      const [kind, a, b, hash] = line.split(' ');
      if (kind === 'A' || kind === 'W') (kind === 'A' ? expected : pending).set(BigInt(a), { last: BigInt(b), hash });
      if (kind === 'A') reported++;
      if (kind === 'F') {
        for (const [base, e] of pending) if (e.last < BigInt(a)) expected.set(base, e), pending.delete(base), reported++;
      }
      if (kind === 'T') {
        for (const map of [expected, pending]) for (const [base, e] of map) if (e.last >= BigInt(a)) map.delete(base);
      }
      if (kind === 'S' && BigInt(a) > startCeiling) startCeiling = BigInt(a);
    }
    pending.clear(); // not durable: may or may not have survived

    const log = await Log.open(dir, {}, { logger: recordingLogger() });
    try {
      await assertSegmentsWhole(dir);
      assert.ok(log.logStartOffset <= startCeiling || log.logStartOffset === 0n, `log start ${log.logStartOffset} above ${startCeiling}`);
      for (const [base, e] of expected) {
        if (base < log.logStartOffset) {
          expected.delete(base);
          continue;
        }
        const bytes = await log.read(base, 1);
        const first = bytes.subarray(0, batchSize(bytes));
        assert.equal(first.readBigInt64BE(0), base, `batch ${base} (run ${i}) is missing`);
        assert.equal(createHash('sha1').update(first).digest('hex').slice(0, 16), e.hash, `batch ${base} changed`);
      }
      for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
        const bytes = await log.read(offset, 1_000_000);
        let at = 0;
        let last = offset;
        while (at < bytes.length) {
          const batch = bytes.subarray(at, at + batchSize(bytes, at));
          assert.ok(batchCrcValid(batch), `served a corrupt batch at ${offset}`);
          const decoded = decodeRecordBatch(batch);
          last = decoded.baseOffset + BigInt(decoded.lastOffsetDelta);
          at += batch.length;
        }
        assert.ok(bytes.length > 0, `nothing readable at ${offset} below the log end ${log.logEndOffset}`);
        offset = last + 1n;
      }
    } finally {
      await log.close();
    }
  }
  assert.ok(reported > iterations, `only ${reported} durable appends were reported`);
});
