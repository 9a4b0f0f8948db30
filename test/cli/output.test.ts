import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable } from '../../src/cli/output.ts';

test('a table is padded to its widest cell, and a null cell prints as -', () => {
  const out = renderTable(['NAME', 'N'], [['a', 1], ['longer', null]]);
  assert.equal(out, ['NAME    N', 'a       1', 'longer  -'].join('\n'));
});

test('a table of more rows than a call takes arguments (a describe of 200k partitions) still renders', () => {
  const rows = Array.from({ length: 200_000 }, (_, i) => [`p${i}`, i]);
  const lines = renderTable(['PARTITION', 'OFFSET'], rows).split('\n');
  assert.equal(lines.length, 200_001);
  assert.equal(lines[200_000], 'p199999    199999');
});
