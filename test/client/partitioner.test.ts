import { test } from 'node:test';
import assert from 'node:assert/strict';
import { murmur2, partitionForKey } from '../../src/client/partitioner.ts';

// Reference values from the Java client's Utils.murmur2 test vectors.
test('murmur2 matches the Java client for its published vectors', () => {
  const cases: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [input, expected] of cases) assert.equal(murmur2(Buffer.from(input)), expected, input);
});

test('partitionForKey is stable and within range', () => {
  for (let n = 1; n < 20; n++) {
    const p = partitionForKey(Buffer.from('order-42'), n);
    assert.ok(p >= 0 && p < n);
    assert.equal(partitionForKey(Buffer.from('order-42'), n), p);
  }
});
