/**
 * The committed src/protocol/generated/ is exactly what scripts/gen-protocol.ts
 * produces from ../shared/kafka-protocol/messages and coordinator-records:
 * same files, same bytes. Without those folders the test fails, or skips when KB_SKIP_SHARED=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definitionDirs, generate, generatedDir, messagesDir } from '../../scripts/gen-protocol.ts';

const sharedMissing = !definitionDirs.every((dir) => existsSync(dir));
const skip = sharedMissing && process.env.KB_SKIP_SHARED === '1' ? `${messagesDir} is absent (KB_SKIP_SHARED=1)` : false;

test('regenerating the protocol codecs changes nothing', { skip }, (t) => {
  assert.ok(!sharedMissing, `${messagesDir} not found: cannot check src/protocol/generated against the Kafka message definitions (set KB_SKIP_SHARED=1 to skip)`);
  const outputDir = mkdtempSync(join(tmpdir(), 'kb-gen-protocol-'));
  t.after(() => rmSync(outputDir, { recursive: true, force: true }));
  generate(outputDir);
  const fresh = readdirSync(outputDir).sort();
  const committed = readdirSync(generatedDir).sort();
  assert.deepEqual(committed, fresh, 'generated file set differs: run npm run gen:protocol');
  for (const name of fresh) {
    const same = readFileSync(join(outputDir, name)).equals(readFileSync(join(generatedDir, name)));
    assert.ok(same, `src/protocol/generated/${name} is stale: run npm run gen:protocol`);
  }
});

test('generation is deterministic', { skip }, (t) => {
  assert.ok(!sharedMissing, `${messagesDir} not found (set KB_SKIP_SHARED=1 to skip)`);
  const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'kb-gen-protocol-')));
  t.after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const [first, second] = dirs.map((dir) => generate(dir));
  assert.deepEqual([...first.entries()], [...second.entries()]);
});
