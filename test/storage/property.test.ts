/**
 * Property test: random sequences of appends (leader and follower, with
 * gaps), rolls, truncations, DeleteRecords, retention, flushes, clean
 * reopens and crash reopens must agree with a plain in-memory model of the
 * log: the list of batches, the log start and the log end.
 * KB_PROPERTY_RUNS and KB_PROPERTY_STEPS scale it up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { batchSize } from '../../src/protocol/records/batch-header.ts';
import { Log } from '../../src/storage/log.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import { makeBatch, recordingLogger, tempDir } from './helpers.ts';

const runs = Number(process.env.KB_PROPERTY_RUNS ?? 12);
const steps = Number(process.env.KB_PROPERTY_STEPS ?? 150);

interface ModelBatch {
  base: number;
  last: number;
  bytes: Buffer;
}

class Model {
  batches: ModelBatch[] = [];
  start = 0;
  end = 0;

  append(batch: Buffer): void {
    const base = Number(batch.readBigInt64BE(0));
    this.batches.push({ base, last: base + batch.readInt32BE(23), bytes: Buffer.from(batch) });
    this.end = base + batch.readInt32BE(23) + 1;
  }

  truncate(target: number): void {
    if (target < this.start) return this.restart(target);
    const cut = this.batches.findIndex((b) => b.last >= target);
    if (cut >= 0) this.batches.length = cut;
    if (!this.batches.some((b) => b.last >= this.start)) return this.restart(target);
    this.end = this.batches.at(-1)!.last + 1;
  }

  restart(offset: number): void {
    this.batches = [];
    this.start = this.end = offset;
  }

  visibleFrom(offset: number): ModelBatch[] {
    return this.batches.filter((b) => b.last >= Math.max(offset, this.start));
  }
}

/** Copies the files of `from` as they are now, skipping any removed meanwhile (as kill -9 would leave them). */
async function copyFiles(from: string, to: string): Promise<void> {
  for (const name of await readdir(from)) {
    await copyFile(path.join(from, name), path.join(to, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

function split(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += batchSize(bytes, at)) out.push(bytes.subarray(at, at + batchSize(bytes, at)));
  return out;
}

async function check(log: Log, model: Model, random: (n: number) => number, context: string): Promise<void> {
  assert.equal(log.logEndOffset, BigInt(model.end), `log end (${context}) model ${JSON.stringify(model.batches.slice(-5).map((b) => [b.base, b.last]))} segments ${log.segmentBaseOffsets()}`);
  assert.equal(log.logStartOffset, BigInt(model.start), `log start (${context})`);
  if (model.end === model.start) return;
  const seen: Buffer[] = [];
  for (let offset = model.start; offset < model.end; ) {
    const batches = split(await log.read(BigInt(offset), 1 + random(3000)));
    assert.ok(batches.length > 0, `read at ${offset} returned nothing (${context})`);
    seen.push(...batches);
    offset = Number(batches.at(-1)!.readBigInt64BE(0)) + batches.at(-1)!.readInt32BE(23) + 1;
  }
  assert.deepEqual(seen, model.visibleFrom(model.start).map((b) => b.bytes), `contents (${context})`);
  const probe = model.start + random(model.end - model.start);
  const first = split(await log.read(BigInt(probe), 1))[0];
  assert.deepEqual(first, model.visibleFrom(probe)[0]?.bytes, `read at ${probe} (${context})`);
}

for (let run = 0; run < runs; run++) {
  test(`random operations agree with the model (seed ${run + 1})`, async (t) => {
    const random = rng(run + 1);
    const dir = await tempDir(t, 'kb-property-');
    const config: Partial<LogConfig> = {
      segmentBytes: 400 + random(3000),
      indexIntervalBytes: random(2) === 0 ? 0 : random(1000),
      retentionBytes: 1500 + random(5000),
      fileDeleteDelayMs: random(2) === 0 ? 0 : 5,
    };
    const open = (where: string) => Log.open(where, config, { logger: recordingLogger() });
    let log = await open(dir);
    const model = new Model();
    const history: string[] = [];
    try {
      for (let step = 0; step < steps; step++) {
        const op = random(100);
        if (op < 55) {
          const values = Array.from({ length: 1 + random(4) }, (_, i) => `${step}.${i}.${'y'.repeat(random(200))}`);
          const batch = makeBatch({ values, timestamp: 1_000_000 + step });
          if (random(4) === 0) {
            batch.writeBigInt64BE(BigInt(model.end + random(5)), 0);
            await log.appendAsFollower(batch);
            history.push(`follower ${batch.readBigInt64BE(0)}`);
          } else {
            await log.append(batch, 1);
            history.push('append');
          }
          model.append(batch);
        } else if (op < 62) {
          await log.roll();
          history.push('roll');
        } else if (op < 70 && model.end > model.start) {
          const target = model.end - 1 - random(Math.min(40, model.end - model.start));
          await log.truncateTo(BigInt(target));
          model.truncate(target);
          history.push(`truncateTo ${target}`);
        } else if (op < 73) {
          const target = model.start + random(model.end - model.start + 1);
          await log.deleteRecordsBefore(BigInt(target));
          if (target > model.start) model.start = target;
          history.push(`deleteRecordsBefore ${target}`);
        } else if (op < 78) {
          log.updateHighWatermark(BigInt(model.end));
          await log.enforceRetention();
          assert.ok(log.logStartOffset >= BigInt(model.start));
          model.start = Number(log.logStartOffset);
          history.push(`retention -> start ${model.start}`);
        } else if (op < 82) {
          await log.truncateFullyAndStartAt(BigInt(model.end + random(10)));
          model.restart(Number(log.logStartOffset));
          history.push(`truncateFullyAndStartAt ${model.start}`);
        } else if (op < 86) {
          await log.flush();
          history.push('flush');
        } else if (op < 93) {
          await log.close();
          log = await open(dir);
          history.push('reopen');
        } else {
          const crashed = await mkdtemp(path.join(os.tmpdir(), 'kb-property-crash-'));
          await copyFiles(dir, crashed);
          await log.close();
          await rm(dir, { recursive: true, force: true });
          await cp(crashed, dir, { recursive: true });
          await rm(crashed, { recursive: true, force: true });
          log = await open(dir);
          history.push('crash and reopen');
        }
        await check(log, model, random, `step ${step}: ${history.slice(-6).join(', ')}`);
      }
    } finally {
      await log.close();
    }
  });
}
