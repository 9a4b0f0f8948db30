/**
 * Reader/Writer primitives: every type round-trips at its edge values, known
 * byte encodings from the Kafka protocol guide, and hardening (lying lengths
 * and counts, truncation) failing with ProtocolError before any allocation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError, Reader, Writer, encodesEqual, isZeroUuid, nonNull } from '../../src/protocol/primitives.ts';

function bytesOf(write: (w: Writer) => void): Buffer {
  const w = new Writer(1);
  write(w);
  return Buffer.from(w.finish());
}

function hex(write: (w: Writer) => void): string {
  return bytesOf(write).toString('hex');
}

/** Writes with `write`, reads back with `read`, checks the value and that every byte was consumed. */
function roundTrip<T>(value: T, write: (w: Writer, v: T) => void, read: (r: Reader) => T): void {
  const bytes = bytesOf((w) => write(w, value));
  const r = new Reader(bytes);
  assert.deepEqual(read(r), value);
  assert.equal(r.remaining, 0);
}

function throwsProtocolError(bytes: Buffer | number[], read: (r: Reader) => unknown): void {
  assert.throws(() => read(new Reader(Buffer.from(bytes))), ProtocolError);
}

test('fixed-width integers and floats round-trip at their limits', () => {
  for (const v of [-128, -1, 0, 127]) roundTrip(v, (w, x) => w.int8(x), (r) => r.int8());
  for (const v of [-32768, 0, 32767]) roundTrip(v, (w, x) => w.int16(x), (r) => r.int16());
  for (const v of [0, 65535]) roundTrip(v, (w, x) => w.uint16(x), (r) => r.uint16());
  for (const v of [-(2 ** 31), -1, 0, 2 ** 31 - 1]) roundTrip(v, (w, x) => w.int32(x), (r) => r.int32());
  for (const v of [0, 2 ** 32 - 1]) roundTrip(v, (w, x) => w.uint32(x), (r) => r.uint32());
  for (const v of [-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n]) roundTrip(v, (w, x) => w.int64(x), (r) => r.int64());
  for (const v of [0, -0, 1.5, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, Infinity]) {
    roundTrip(v, (w, x) => w.float64(x), (r) => r.float64());
  }
  for (const v of [true, false]) roundTrip(v, (w, x) => w.bool(x), (r) => r.bool());
  assert.equal(hex((w) => w.int32(-2)), 'fffffffe');
  assert.equal(hex((w) => w.int64(1n)), '0000000000000001');
});

test('any non-zero byte reads as true', () => {
  assert.equal(new Reader(Buffer.from([0x80])).bool(), true);
});

test('varints use the encodings of the Kafka protocol guide', () => {
  assert.equal(hex((w) => w.varint(0)), '00');
  assert.equal(hex((w) => w.varint(-1)), '01');
  assert.equal(hex((w) => w.varint(1)), '02');
  assert.equal(hex((w) => w.varint(-2)), '03');
  assert.equal(hex((w) => w.varint(150)), 'ac02');
  assert.equal(hex((w) => w.uvarint(300)), 'ac02');
  assert.equal(hex((w) => w.varint(300)), 'd804');
  assert.equal(hex((w) => w.uvarint(2 ** 32 - 1)), 'ffffffff0f');
  assert.equal(hex((w) => w.varint(-(2 ** 31))), 'ffffffff0f');
  assert.equal(hex((w) => w.varlong(-1n)), '01');
  assert.equal(hex((w) => w.varlong(-(2n ** 63n))), 'ffffffffffffffffff01');
});

test('varints and varlongs round-trip at their limits', () => {
  for (const v of [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 32 - 1]) {
    roundTrip(v, (w, x) => w.uvarint(x), (r) => r.uvarint());
  }
  for (const v of [0, -1, 1, -64, 64, -(2 ** 31), 2 ** 31 - 1]) roundTrip(v, (w, x) => w.varint(x), (r) => r.varint());
  // ±2^48 is where a varlong stops fitting the 7 bytes read without BigInt arithmetic
  for (const v of [0n, -1n, 1n, -(2n ** 63n), 2n ** 63n - 1n, 1234567890123n, 2n ** 48n - 1n, 2n ** 48n, -(2n ** 48n), -(2n ** 48n) - 1n]) {
    roundTrip(v, (w, x) => w.varlong(x), (r) => r.varlong());
  }
  for (const v of [0n, 2n ** 64n - 1n]) roundTrip(v, (w, x) => w.uvarlong(x), (r) => r.uvarlong());
});

test('out-of-range varints are rejected on both sides', () => {
  throwsProtocolError([0xff, 0xff, 0xff, 0xff, 0x1f], (r) => r.uvarint());
  throwsProtocolError([0xff, 0xff, 0xff, 0xff, 0xff, 0x01], (r) => r.uvarint());
  throwsProtocolError([...Array(9).fill(0xff), 0x02], (r) => r.uvarlong());
  throwsProtocolError([...Array(10).fill(0xff), 0x01], (r) => r.uvarlong());
  throwsProtocolError([...Array(10).fill(0xff), 0x01], (r) => r.varlong());
  throwsProtocolError([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], (r) => r.varlong());
  throwsProtocolError([0x80, 0x80], (r) => r.uvarint());
  assert.throws(() => new Writer().uvarint(2 ** 32), RangeError);
  assert.throws(() => new Writer().uvarint(-1), RangeError);
  assert.throws(() => new Writer().varint(2 ** 31), RangeError);
  assert.throws(() => new Writer().uvarlong(-1n), RangeError);
  assert.throws(() => new Writer().uvarlong(2n ** 64n), RangeError);
});

test('classic and compact strings, nullable or not', () => {
  for (const v of ['', 'topic', 'ünïcødé ✓ 𝄞', 'x'.repeat(300)]) {
    roundTrip(v, (w, x) => w.string(x), (r) => r.string());
    roundTrip(v, (w, x) => w.compactString(x), (r) => r.compactString());
    roundTrip<string | null>(v, (w, x) => w.nullableString(x), (r) => r.nullableString());
    roundTrip<string | null>(v, (w, x) => w.compactNullableString(x), (r) => r.compactNullableString());
  }
  roundTrip<string | null>(null, (w, x) => w.nullableString(x), (r) => r.nullableString());
  roundTrip<string | null>(null, (w, x) => w.compactNullableString(x), (r) => r.compactNullableString());
  assert.equal(hex((w) => w.string('ab')), '00026162');
  assert.equal(hex((w) => w.compactString('ab')), '036162');
  assert.equal(hex((w) => w.nullableString(null)), 'ffff');
  assert.equal(hex((w) => w.compactNullableString(null)), '00');
  assert.equal(hex((w) => w.string('é')), '0002c3a9');
});

test('null where the type is not nullable, and negative lengths, are rejected', () => {
  throwsProtocolError([0xff, 0xff], (r) => r.string());
  throwsProtocolError([0xff, 0xfe], (r) => r.nullableString());
  throwsProtocolError([0x00], (r) => r.compactString());
  throwsProtocolError([0xff, 0xff, 0xff, 0xff], (r) => r.bytes());
  throwsProtocolError([0xff, 0xff, 0xff, 0xfe], (r) => r.nullableBytes());
  throwsProtocolError([0x00], (r) => r.compactBytes());
  throwsProtocolError([0xff, 0xff, 0xff, 0xfe], (r) => r.nullableArray((x) => x.int8()));
  throwsProtocolError([0xff, 0xff, 0xff, 0xff], (r) => r.array((x) => x.int8()));
  throwsProtocolError([0x00], (r) => r.compactArray((x) => x.int8()));
});

test('classic and compact bytes, nullable or not', () => {
  for (const v of [Buffer.alloc(0), Buffer.from([0, 1, 255]), Buffer.alloc(200, 7)]) {
    roundTrip<Buffer>(v, (w, x) => w.bytes(x), (r) => r.bytes());
    roundTrip<Buffer>(v, (w, x) => w.compactBytes(x), (r) => r.compactBytes());
    roundTrip<Buffer | null>(v, (w, x) => w.nullableBytes(x), (r) => r.nullableBytes());
    roundTrip<Buffer | null>(v, (w, x) => w.compactNullableBytes(x), (r) => r.compactNullableBytes());
  }
  roundTrip<Buffer | null>(null, (w, x) => w.nullableBytes(x), (r) => r.nullableBytes());
  roundTrip<Buffer | null>(null, (w, x) => w.compactNullableBytes(x), (r) => r.compactNullableBytes());
  assert.equal(hex((w) => w.bytes(Buffer.from([9]))), '0000000109');
  assert.equal(hex((w) => w.compactBytes(Buffer.from([9]))), '0209');
  assert.equal(hex((w) => w.nullableBytes(null)), 'ffffffff');
});

test('arrays, nullable and compact, and null arrays', () => {
  const items = [1, -2, 3];
  const writeItem = (w: Writer, x: number) => w.int32(x);
  const readItem = (r: Reader) => r.int32();
  roundTrip(items, (w, x) => w.array(x, writeItem), (r) => r.array(readItem, 4));
  roundTrip(items, (w, x) => w.compactArray(x, writeItem), (r) => r.compactArray(readItem, 4));
  roundTrip<number[] | null>(null, (w, x) => w.nullableArray(x, writeItem), (r) => r.nullableArray(readItem, 4));
  roundTrip<number[] | null>(null, (w, x) => w.compactNullableArray(x, writeItem), (r) => r.compactNullableArray(readItem, 4));
  roundTrip<number[] | null>([], (w, x) => w.compactNullableArray(x, writeItem), (r) => r.compactNullableArray(readItem, 4));
  assert.equal(hex((w) => w.nullableArray(null, writeItem)), 'ffffffff');
  assert.equal(hex((w) => w.compactNullableArray(null, writeItem)), '00');
  assert.equal(hex((w) => w.compactArray([7], (x, v) => x.int8(v))), '0207');
});

test('UUIDs are 16 raw bytes', () => {
  const id = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  roundTrip<Buffer>(id, (w, x) => w.uuid(x), (r) => r.uuid());
  assert.equal(hex((w) => w.uuid(id)), id.toString('hex'));
  assert.throws(() => new Writer().uuid(Buffer.alloc(15)), RangeError);
  assert.equal(isZeroUuid(Buffer.alloc(16)), true);
  assert.equal(isZeroUuid(id), false);
});

test('nullable structs carry an int8 presence marker', () => {
  const write = (w: Writer, v: number | null) => w.nullableStruct(v, (x, n) => x.int16(n));
  const read = (r: Reader) => r.nullableStruct((x) => x.int16());
  assert.equal(hex((w) => write(w, null)), 'ff');
  assert.equal(hex((w) => write(w, 5)), '010005');
  roundTrip(null, write, read);
  roundTrip(5, write, read);
});

test('tagged fields: written sorted and only when present, unknown tags skipped', () => {
  const bytes = bytesOf((w) =>
    w.taggedFields([
      [0, (x) => x.int32(42)],
      [1, null],
      [5, (x) => x.compactString('hi')],
    ]),
  );
  assert.equal(bytes.toString('hex'), '02' + '00' + '04' + '0000002a' + '05' + '03' + '036869');
  const seen: number[] = [];
  const r = new Reader(Buffer.concat([bytes, Buffer.from([0x99])]));
  r.taggedFields((tag, field) => {
    if (tag !== 5) return false;
    seen.push(tag);
    assert.equal(field.compactString(), 'hi');
    return true;
  });
  assert.deepEqual(seen, [5]);
  assert.equal(r.uint8(), 0x99, 'reader continues after the skipped and known fields');
  assert.equal(hex((w) => w.taggedFields()), '00');
  new Reader(Buffer.from([0])).taggedFields();
});

test('malformed tagged fields are rejected', () => {
  throwsProtocolError([0x02, 0x01, 0x00, 0x01, 0x00], (r) => r.taggedFields()); // tags out of order
  throwsProtocolError([0x01, 0x00, 0x05, 0x00], (r) => r.taggedFields()); // field longer than input
  throwsProtocolError([0x01, 0x00, 0x02, 0x00, 0x01], (r) => r.taggedFields((_, f) => (f.int8(), true))); // trailing bytes
  throwsProtocolError([0xff, 0xff, 0xff, 0xff, 0x0f], (r) => r.taggedFields()); // count cannot fit
});

test('a declared array of 2^31-1 elements fails before reading or allocating any element', () => {
  let elementsRead = 0;
  const readElement = (r: Reader) => {
    elementsRead++;
    return r.int8();
  };
  const heapBefore = process.memoryUsage().heapUsed;
  throwsProtocolError([0x7f, 0xff, 0xff, 0xff, 1, 2, 3], (r) => r.array(readElement));
  throwsProtocolError([0x7f, 0xff, 0xff, 0xff], (r) => r.nullableArray(readElement));
  throwsProtocolError([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2], (r) => r.compactArray(readElement));
  throwsProtocolError([0xff, 0xff, 0xff, 0xff, 0x07], (r) => r.compactNullableArray(readElement));
  // Three elements of at least 4 bytes cannot fit in 8 bytes.
  throwsProtocolError([0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8], (r) => r.array(readElement, 4));
  assert.equal(elementsRead, 0);
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024);
});

test('huge declared string and bytes lengths fail without allocating', () => {
  throwsProtocolError([0x7f, 0xff, 0x41], (r) => r.string());
  throwsProtocolError([0x7f, 0xff, 0xff, 0xff, 0x41], (r) => r.bytes());
  throwsProtocolError([0xff, 0xff, 0xff, 0xff, 0x0f, 0x41], (r) => r.compactBytes());
  throwsProtocolError([0xff, 0xff, 0xff, 0xff, 0x0f, 0x41], (r) => r.compactString());
});

test('truncated input throws ProtocolError for every type', () => {
  const readers: Array<(r: Reader) => unknown> = [
    (r) => r.int8(), (r) => r.int16(), (r) => r.uint16(), (r) => r.int32(), (r) => r.uint32(),
    (r) => r.int64(), (r) => r.float64(), (r) => r.uuid(), (r) => r.uvarint(), (r) => r.varlong(),
    (r) => r.string(), (r) => r.compactNullableString(), (r) => r.bytes(), (r) => r.compactBytes(),
    (r) => r.array((x) => x.int8()), (r) => r.taggedFields(), (r) => r.nullableStruct((x) => x.int8()),
  ];
  for (const read of readers) throwsProtocolError([], read);
  throwsProtocolError([0x00, 0x05, 0x61, 0x62], (r) => r.string());
  throwsProtocolError([0x00, 0x00, 0x00, 0x02, 0x07], (r) => r.array((x) => x.int8()));
  throwsProtocolError([0x01], (r) => r.nullableStruct((x) => x.int32()));
});

test('a reader never reads past its end bound', () => {
  const r = new Reader(Buffer.from([1, 2, 3, 4]), 1, 3);
  assert.equal(r.int16(), 0x0203);
  assert.throws(() => r.int8(), ProtocolError);
});

test('nonNull and encodesEqual', () => {
  assert.equal(nonNull('x', 'f'), 'x');
  assert.throws(() => nonNull(null, 'Topic.name'), /Topic\.name must not be null/);
  const encode = (w: Writer, v: { a: number; b: number }, version: number) => {
    w.int8(v.a);
    if (version >= 1) w.int8(v.b);
  };
  assert.equal(encodesEqual(encode, { a: 1, b: 2 }, { a: 1, b: 3 }, 0), true);
  assert.equal(encodesEqual(encode, { a: 1, b: 2 }, { a: 1, b: 3 }, 1), false);
});

test('the writer grows from any initial capacity', () => {
  const w = new Writer(1);
  for (let i = 0; i < 1000; i++) w.int64(BigInt(i));
  const r = new Reader(w.finish());
  for (let i = 0; i < 1000; i++) assert.equal(r.int64(), BigInt(i));
});
