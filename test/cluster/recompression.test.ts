/**
 * compression.type on a 3-node cluster: the leader recompresses what kcat
 * produces (gzip) to the topic's zstd, and the followers replicate the
 * batches as the leader stored them: every replica's log holds the same
 * zstd batches (same CRCs), and kcat reads every record back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { createTopicWithAssignment } from '../helpers/one-shot.ts';
import { kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { runKb } from '../helpers/cli.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { SegmentDump } from '../../src/storage/segment-dump.ts';

const count = 200;

test('followers replicate the batches the leader recompressed to the topic codec', { timeout: 180_000 }, async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const cluster = await startCluster({ nodes: 3 });
  t.after(() => cluster.stop());
  assert.equal(await createTopicWithAssignment(cluster.address(1), 'zstd-stored', [[1, 2, 3]], { 'compression.type': 'zstd' }), ErrorCode.NONE);
  await waitForPartitions(cluster.bootstrap, 'zstd-stored', 'the ISR is full', (ps) => ps[0].isr.length === 3 && ps[0].leader === 1);

  const lines = Array.from({ length: count }, (_, i) => `record ${i} ${'x'.repeat(i)}`);
  await kcatOk(['-b', cluster.bootstrap, '-P', '-t', 'zstd-stored', '-p', '0', '-z', 'gzip', '-X', 'acks=all', '-X', 'linger.ms=50'], { input: `${lines.join('\n')}\n` });

  const dumpOf = async (id: number) => {
    const file = path.join(cluster.dataDir(id), 'logs', 'zstd-stored-0', '00000000000000000000.log');
    const result = await runKb(['log', 'dump', '--json', file]);
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as SegmentDump).entries;
  };
  const deadline = Date.now() + 60_000;
  let dumps = await Promise.all([1, 2, 3].map(dumpOf));
  while (dumps.some((entries) => entries.reduce((n, e) => n + e.count, 0) < count)) {
    assert.ok(Date.now() < deadline, `every replica holds ${count} records within 60 s: ${dumps.map((d) => d.reduce((n, e) => n + e.count, 0)).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    dumps = await Promise.all([1, 2, 3].map(dumpOf));
  }
  const [leader, ...followers] = dumps;
  assert.deepEqual(new Set(leader.map((e) => e.codec)), new Set(['zstd']), 'the leader stored zstd');
  assert.ok(leader.every((e) => e.valid));
  for (const follower of followers) assert.deepEqual(follower.map((e) => [e.baseOffset, e.codec, e.crc]), leader.map((e) => [e.baseOffset, e.codec, e.crc]));

  const read = await kcatConsumeAll(cluster.bootstrap, 'zstd-stored');
  assert.deepEqual(read.map((r) => r.value), lines);
});
