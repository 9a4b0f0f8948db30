/**
 * The pure parts of kb produce/consume: -f format strings, -o offset specs,
 * the --json record encoding (binary-safe both ways) and the byte-exact
 * stdin line splitter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsumedRecord } from '../../src/client/consumer.ts';
import { compileFormat, unescape } from '../../src/cli/formats.ts';
import { recordFromJson, recordToJson } from '../../src/cli/json-records.ts';
import { byteLines } from '../../src/cli/lines.ts';
import { parseOffsetRange, parseOffsetSpec } from '../../src/cli/offset-spec.ts';
import { parseResetTarget } from '../../src/commands/group/reset-offsets.ts';

const record: ConsumedRecord = {
  topic: 't',
  partition: 2,
  offset: 41n,
  timestamp: 1_700_000_000_123n,
  key: Buffer.from('k'),
  value: Buffer.from([0xff, 0x00, 0x41]),
  headers: [
    { key: 'a', value: Buffer.from('1') },
    { key: 'b', value: null },
  ],
};

test('format strings print every field, raw bytes and escapes; unknown directives and escapes are refused', () => {
  assert.deepEqual(compileFormat('%t/%p/%o %d %k=%v [%h] 100%%\\t\\n')(record), Buffer.concat([Buffer.from('t/2/41 1700000000123 k='), record.value!, Buffer.from(' [a=1,b=] 100%\t\n')]));
  assert.deepEqual(compileFormat('%k|%v\\n')({ ...record, key: null, value: null }), Buffer.from('|\n'));
  assert.deepEqual(compileFormat('%S %K %T %s')(record), Buffer.concat([Buffer.from('3 1 1700000000123 '), record.value!]), "kcat's letters");
  assert.deepEqual(compileFormat('%S %K|%R')({ ...record, key: null, value: null }), Buffer.from([...Buffer.from('-1 -1|'), 0xff, 0xff, 0xff, 0xff]), 'null lengths are -1');
  assert.deepEqual(compileFormat('%R%s')(record), Buffer.concat([Buffer.from([0, 0, 0, 3]), record.value!]), '%R frames the value with its length');
  assert.throws(() => compileFormat('%x'), /unknown directive "%x"/);
  assert.throws(() => compileFormat('%'), /unknown directive "%"/);
  assert.throws(() => unescape('\\q'), /unknown escape "\\q"/);
  assert.equal(unescape('a\\\\n'), 'a\\n');
});

test("rpk-style modifiers re-encode keys and values: {json} as --json writes bytes, {hex}, {base64}; other fields and names are refused", () => {
  const line = compileFormat('%k{json} %v{json} %s{hex} %k{base64}|%%{json}');
  assert.equal(line(record).toString(), '"k" {"base64":"/wBB"} ff0041 aw==|%{json}');
  assert.equal(line({ ...record, key: null, value: Buffer.from('a "quoted"\nline') }).toString(), 'null "a \\"quoted\\"\\nline" 61202271756f746564220a6c696e65 |%{json}', 'one line per record, however the value reads');
  assert.throws(() => compileFormat('%t{json}'), /"%t\{json\}": modifiers apply to %k, %v and %s only/);
  assert.throws(() => compileFormat('%v{yaml}'), /unknown modifier "\{yaml\}"/);
});

test('offset specs', () => {
  assert.deepEqual(parseOffsetSpec('beginning'), { kind: 'beginning' });
  assert.deepEqual(parseOffsetSpec('end'), { kind: 'end' });
  assert.deepEqual(parseOffsetSpec('12'), { kind: 'absolute', offset: 12n });
  assert.deepEqual(parseOffsetSpec('-3'), { kind: 'fromEnd', count: 3n });
  assert.deepEqual(parseOffsetSpec('@1700000000000'), { kind: 'timestamp', timestamp: 1_700_000_000_000n });
  for (const bad of ['', 'start', '1.5', '@', '@-1', '+3']) assert.throws(() => parseOffsetSpec(bad), /is not an offset/, bad);
  // A timestamp travels in ListOffsets' int64: one past it is refused here, not by the encoder.
  assert.deepEqual(parseOffsetSpec('@9223372036854775807'), { kind: 'timestamp', timestamp: 2n ** 63n - 1n });
  assert.throws(() => parseOffsetSpec('@9223372036854775808'), /is not an offset.*at most 9223372036854775807/);
});

test("kcat's -o s@T1 -o e@T2: one start (s@ is @) and one end time, in either order", () => {
  const now = 1_700_000_000_000;
  assert.deepEqual(parseOffsetSpec('s@-1m', now), { kind: 'timestamp', timestamp: 1_699_999_940_000n });
  assert.deepEqual(parseOffsetRange(['e@2024-05-02', 's@2024-05-01'], now), {
    start: { kind: 'timestamp', timestamp: 1_714_521_600_000n },
    endTimestamp: 1_714_608_000_000n,
  });
  assert.deepEqual(parseOffsetRange(['e@-10m'], now), { start: { kind: 'beginning' }, endTimestamp: 1_699_999_400_000n });
  assert.deepEqual(parseOffsetRange(['-5'], now), { start: { kind: 'fromEnd', count: 5n }, endTimestamp: null });
  assert.throws(() => parseOffsetRange(['1', 'end']), /-o takes one start and one e@TIMESTAMP end, not -o 1 -o end/);
  assert.throws(() => parseOffsetRange(['e@1', 'e@2']), /one start and one e@TIMESTAMP end/);
  for (const bad of ['e@', 'e@x', 'e@-1', 'e@9223372036854775808']) assert.throws(() => parseOffsetRange([bad]), /is not an end time/, bad);
});

test('one vocabulary: earliest/latest and beginning/end are synonyms; ISO-8601 dates and times relative to now', () => {
  assert.deepEqual(parseOffsetSpec('earliest'), { kind: 'beginning' });
  assert.deepEqual(parseOffsetSpec('latest'), { kind: 'end' });
  assert.deepEqual(parseOffsetSpec('@2024-05-01T00:00:00Z'), { kind: 'timestamp', timestamp: 1_714_521_600_000n });
  assert.deepEqual(parseOffsetSpec('@2024-05-01T02:00:00.5+02:00'), { kind: 'timestamp', timestamp: 1_714_521_600_500n });
  assert.deepEqual(parseOffsetSpec('@2024-05-01'), { kind: 'timestamp', timestamp: 1_714_521_600_000n }, 'a date alone is UTC midnight');
  const now = 1_700_000_000_000;
  assert.deepEqual(parseOffsetSpec('@-10m', now), { kind: 'timestamp', timestamp: 1_699_999_400_000n });
  assert.deepEqual(parseOffsetSpec('@-1500ms', now), { kind: 'timestamp', timestamp: 1_699_999_998_500n });
  assert.deepEqual(parseOffsetSpec('@-30s', now), { kind: 'timestamp', timestamp: 1_699_999_970_000n });
  assert.deepEqual(parseOffsetSpec('@-2h', now), { kind: 'timestamp', timestamp: 1_699_992_800_000n });
  assert.deepEqual(parseOffsetSpec('@-1d', now), { kind: 'timestamp', timestamp: 1_699_913_600_000n });
  // Loose dates Date.parse would take, a relative time without a unit or before the epoch, and impossible dates are refused.
  for (const bad of ['@May 1 2024', '@-10', '@-10y', '@+10m', '@-20000d', '@2024-13-45', '@2024-05-01T25:00:00Z', 'beginning ']) {
    assert.throws(() => parseOffsetSpec(bad, 1_000_000_000_000), /is not an offset: expected earliest, latest, an offset, or @TIMESTAMP/, bad);
  }
  // kb group reset-offsets --to takes the same forms.
  assert.deepEqual(parseResetTarget('beginning'), { kind: 'beginning' });
  assert.deepEqual(parseResetTarget('end'), { kind: 'end' });
  assert.deepEqual(parseResetTarget('-5'), { kind: 'fromEnd', count: 5n });
  assert.deepEqual(parseResetTarget('@-10m', now), { kind: 'timestamp', timestamp: 1_699_999_400_000n });
  assert.throws(() => parseResetTarget('@-10'), /--to @-10: expected earliest, latest, an offset, or @TIMESTAMP/);
});

test('group reset-offsets --to: a timestamp past int64 is a usage error, not an encoder failure', () => {
  assert.deepEqual(parseResetTarget('@1700000000000'), { kind: 'timestamp', timestamp: 1_700_000_000_000n });
  assert.deepEqual(parseResetTarget('@2024-05-01T00:00:00Z'), { kind: 'timestamp', timestamp: 1_714_521_600_000n });
  assert.throws(() => parseResetTarget('@99999999999999999999'), /--to @99999999999999999999: expected earliest, latest, an offset, or @TIMESTAMP/);
});

test('--json records: UTF-8 as strings, other bytes as base64, nulls as null; reading gives the same bytes back', () => {
  const line = recordToJson(record);
  assert.equal(
    line,
    '{"topic":"t","partition":2,"offset":41,"timestamp":1700000000123,"key":"k","value":{"base64":"/wBB"},"headers":[{"key":"a","value":"1"},{"key":"b","value":null}]}',
  );
  assert.deepEqual(recordFromJson(line), { key: record.key, value: record.value, headers: record.headers, partition: 2, timestamp: 1_700_000_000_123n });
  assert.deepEqual(recordFromJson('{}'), { key: null, value: null, headers: [] });
  assert.throws(() => recordFromJson('[1]'), /expected a JSON object/);
  assert.throws(() => recordFromJson('{"partition":1.5}'), /"partition" must be an integer/);
  assert.throws(() => recordFromJson('{"timestamp":-5}'), /"timestamp" must be milliseconds since the epoch \(>= 0\), or -1 for none/);
  assert.deepEqual(recordFromJson('{"timestamp":-1}').timestamp, -1n, 'a record without a timestamp, as consume --json writes it, reads back');
  assert.throws(() => recordFromJson('{"headers":[{"value":"x"}]}'), /headers\[0\]\.key must be a string/);
  assert.throws(() => recordFromJson('{"key":5}'), /"key" must be a string, \{"base64": "..."\} or null/);
});

test('stdin lines are split on \\n as bytes, across chunks, with a last line without \\n', async () => {
  async function* chunks() {
    yield Buffer.from('a\nb');
    yield Buffer.from([0xff, 0x0a, 0x0a]);
    yield Buffer.from('c');
    yield Buffer.from('d');
  }
  const lines: Buffer[] = [];
  for await (const batch of byteLines(chunks())) lines.push(...batch);
  assert.deepEqual(lines, [Buffer.from('a'), Buffer.from([0x62, 0xff]), Buffer.alloc(0), Buffer.from('cd')]);
});
