import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { Log } from '../../src/storage/log.ts';
import { never } from '../../src/storage/log-config.ts';
import { runKb } from '../helpers/cli.ts';

async function segmentWithTornTail(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-log-dump-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = await Log.open(dir, { segmentMs: never }); // the 2023 timestamps must not roll the segment
  const batch = (values: string[], timestamp: bigint) =>
    encodeRecordBatch({ baseTimestamp: timestamp, records: values.map((value, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(value), headers: [{ key: 'h', value: null }] })) });
  await log.append(batch(['hello', 'world'], 1_700_000_000_000n), 5);
  await log.append(batch(['third'], 1_700_000_000_100n), 5);
  await log.close();
  const file = path.join(dir, '00000000000000000000.log');
  await appendFile(file, Buffer.from([0x9b, 0x01, 0xce, 0, 0]));
  return file;
}

test('kb log dump prints one line per batch, records with --records, and where a torn tail starts', async (t) => {
  const file = await segmentWithTornTail(t);
  const plain = await runKb(['log', 'dump', file]);
  assert.equal(plain.code, 0, plain.stderr);
  const lines = plain.stdout.trim().split('\n');
  assert.match(lines[0], /^Dumping .*00000000000000000000\.log \(\d+ bytes\)$/);
  assert.equal(lines[1], 'Starting offset: 0');
  assert.match(lines[2], /^baseOffset: 0 lastOffset: 1 count: 2 .* partitionLeaderEpoch: 5 .* position: 0 CreateTime: 1700000000000 .* compresscodec: none crc: \d+ isvalid: true$/);
  assert.match(lines[3], /^baseOffset: 2 lastOffset: 2 count: 1 /);
  assert.match(lines[4], /^Stopped at byte \d+ of \d+: torn entry header: 5 bytes left$/);

  const withRecords = await runKb(['log', 'dump', '--records', file]);
  assert.match(withRecords.stdout, /\| offset: 1 CreateTime: 1700000000000 keySize: 2 valueSize: 5 headerKeys: \[h\] key: k1 payload: world/);
});

test('kb log dump --json gives the entries and the stopping point', async (t) => {
  const file = await segmentWithTornTail(t);
  const { code, stdout } = await runKb(['log', 'dump', '--json', '--records', file]);
  assert.equal(code, 0);
  const dump = JSON.parse(stdout);
  assert.equal(dump.baseOffset, 0);
  assert.deepEqual(dump.entries.map((e: { baseOffset: number; valid: boolean }) => [e.baseOffset, e.valid]), [[0, true], [2, true]]);
  assert.deepEqual(dump.entries[1].records, [{ offset: 2, timestamp: 1_700_000_000_100, key: 'k0', value: 'third', headers: [{ key: 'h', value: null }] }]);
  assert.equal(dump.stoppedAt.reason, 'torn entry header: 5 bytes left');
  assert.equal(dump.readableBytes + 5, dump.sizeBytes);
});

test('kb log dump: a missing file or a file that is not a segment is a one-line error, exit 1', async (t) => {
  const missing = await runKb(['log', 'dump', '/no/such/00000000000000000000.log']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Error: cannot read /no/such/00000000000000000000.log: no such file or directory (ENOENT)\n', "kb's one error style");
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
  const file = await segmentWithTornTail(t);
  const index = await runKb(['log', 'dump', file.replace(/\.log$/, '.timeindex')]);
  assert.equal(index.code, 1);
  assert.match(index.stderr, /^Error: \S+\.timeindex is not a kb segment file: torn entry header/);
});
