/**
 * Kafka wire primitives: a bounds-checked Reader over a Buffer and a growable
 * Writer. Every generated message codec and the record batch codec are built
 * on these two classes, so every length and count read from the wire is
 * checked here against the bytes that remain before anything is allocated.
 *
 * Types (Kafka name -> TypeScript):
 *   int8/int16/int32/uint16/uint32/float64 -> number, int64 -> bigint,
 *   varint (zigzag, 32-bit) -> number, varlong (zigzag, 64-bit) -> bigint,
 *   unsigned varint -> number, bool -> boolean, uuid -> Buffer(16),
 *   string -> string, bytes/records -> Buffer (a view, not a copy).
 * "Compact" forms encode a length N as unsigned varint N+1 (0 means null);
 * classic forms use int16 (strings) or int32 (bytes, arrays) with -1 as null.
 *
 * Nullable structs carry an int8 marker (-1 null, 1 present) before the fields.
 *
 * Decoding failures throw ProtocolError and nothing else. Encoding a value
 * that the wire cannot carry (out of range, null where the version forbids
 * it) throws RangeError: that is a bug in the caller, not bad input.
 */

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });

export class Reader {
  readonly buf: Buffer;
  offset: number;
  readonly end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws unless at least `n` bytes remain. */
  need(n: number): void {
    if (n < 0 || this.offset + n > this.end) {
      throw new ProtocolError(`need ${n} bytes at offset ${this.offset}, have ${this.remaining}`);
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  uuid(): Buffer {
    return this.raw(16);
  }

  /** Unsigned LEB128 varint of at most 32 bits. */
  uvarint(): number {
    let result = 0;
    for (let scale = 1; scale < 2 ** 35; scale *= 0x80) {
      const byte = this.uint8();
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (result > 0xffffffff) throw new ProtocolError('unsigned varint exceeds 32 bits');
        return result;
      }
    }
    throw new ProtocolError('unsigned varint longer than 5 bytes');
  }

  /** Zigzag-encoded signed varint of at most 32 bits. */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Unsigned LEB128 varint of at most 64 bits. */
  uvarlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.uint8();
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        if (result > 0xffffffffffffffffn) throw new ProtocolError('unsigned varlong exceeds 64 bits');
        return result;
      }
    }
    throw new ProtocolError('varlong longer than 10 bytes');
  }

  /** Zigzag-encoded signed varint of at most 64 bits. */
  varlong(): bigint {
    const start = this.offset;
    const short = this.shortUvarint();
    if (short !== null) return BigInt(short % 2 === 0 ? short / 2 : -(short + 1) / 2);
    this.offset = start;
    const u = this.uvarlong();
    return (u >> 1n) ^ -(u & 1n);
  }

  /** An unsigned varint of at most 7 bytes (exact as a number), or null with the offset moved on when it is longer. */
  private shortUvarint(): number | null {
    let result = 0;
    for (let scale = 1; scale < 2 ** 49; scale *= 0x80) {
      const byte = this.uint8();
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
    }
    return null;
  }

  /** A view of the next `n` bytes (no copy). */
  raw(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  private text(n: number): string {
    this.need(n);
    const v = textDecoder.decode(this.buf.subarray(this.offset, this.offset + n));
    this.offset += n;
    return v;
  }

  private classicLength(kind: string, nullable: boolean, len: number): number | null {
    if (len === -1 && nullable) return null;
    if (len < 0) throw new ProtocolError(`invalid ${kind} length ${len}`);
    return len;
  }

  private compactLength(kind: string, nullable: boolean): number | null {
    const n = this.uvarint();
    if (n === 0) {
      if (nullable) return null;
      throw new ProtocolError(`null ${kind} where none is allowed`);
    }
    return n - 1;
  }

  string(): string {
    return this.text(this.classicLength('string', false, this.int16()) as number);
  }

  nullableString(): string | null {
    const n = this.classicLength('string', true, this.int16());
    return n === null ? null : this.text(n);
  }

  compactString(): string {
    return this.text(this.compactLength('string', false) as number);
  }

  compactNullableString(): string | null {
    const n = this.compactLength('string', true);
    return n === null ? null : this.text(n);
  }

  bytes(): Buffer {
    return this.raw(this.classicLength('bytes', false, this.int32()) as number);
  }

  nullableBytes(): Buffer | null {
    const n = this.classicLength('bytes', true, this.int32());
    return n === null ? null : this.raw(n);
  }

  compactBytes(): Buffer {
    return this.raw(this.compactLength('bytes', false) as number);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.compactLength('bytes', true);
    return n === null ? null : this.raw(n);
  }

  /**
   * Reads an element count and checks that `count * minElementBytes` bytes
   * remain, so a lying count cannot make the decoder allocate or loop.
   */
  private checkedCount(count: number, minElementBytes: number): number {
    if (count * Math.max(minElementBytes, 1) > this.remaining) {
      throw new ProtocolError(`array of ${count} elements cannot fit in ${this.remaining} bytes`);
    }
    return count;
  }

  arrayLength(nullable: boolean, minElementBytes = 1): number | null {
    const n = this.classicLength('array', nullable, this.int32());
    return n === null ? null : this.checkedCount(n, minElementBytes);
  }

  compactArrayLength(nullable: boolean, minElementBytes = 1): number | null {
    const n = this.compactLength('array', nullable);
    return n === null ? null : this.checkedCount(n, minElementBytes);
  }

  array<T>(readElement: (r: Reader) => T, minElementBytes = 1): T[] {
    return this.elements(this.arrayLength(false, minElementBytes) as number, readElement);
  }

  nullableArray<T>(readElement: (r: Reader) => T, minElementBytes = 1): T[] | null {
    const n = this.arrayLength(true, minElementBytes);
    return n === null ? null : this.elements(n, readElement);
  }

  compactArray<T>(readElement: (r: Reader) => T, minElementBytes = 1): T[] {
    return this.elements(this.compactArrayLength(false, minElementBytes) as number, readElement);
  }

  compactNullableArray<T>(readElement: (r: Reader) => T, minElementBytes = 1): T[] | null {
    const n = this.compactArrayLength(true, minElementBytes);
    return n === null ? null : this.elements(n, readElement);
  }

  private elements<T>(n: number, readElement: (r: Reader) => T): T[] {
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = readElement(this);
    return out;
  }

  /** A struct preceded by Kafka's int8 presence marker (negative means null). */
  nullableStruct<T>(readStruct: (r: Reader) => T): T | null {
    return this.int8() < 0 ? null : readStruct(this);
  }

  /**
   * Reads a tagged-field section. `readKnown(tag, reader)` decodes a tag it
   * knows from a sub-reader limited to that field's bytes and returns true;
   * unknown tags are skipped.
   */
  taggedFields(readKnown?: (tag: number, r: Reader) => boolean): void {
    const count = this.checkedCount(this.uvarint(), 2);
    let previous = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      if (tag <= previous) throw new ProtocolError(`tagged fields out of order: ${tag} after ${previous}`);
      previous = tag;
      const size = this.uvarint();
      this.need(size);
      const field = new Reader(this.buf, this.offset, this.offset + size);
      if (readKnown?.(tag, field) && field.remaining !== 0) {
        throw new ProtocolError(`tagged field ${tag} has ${field.remaining} trailing bytes`);
      }
      this.offset += size;
    }
  }
}

const initialWriterBytes = 256;

/** Byte strings at least this long are referenced by Writer.finishChunks() rather than copied into the output. */
export const writerSpliceMinBytes = 16 * 1024;

export class Writer {
  private buf: Buffer;
  offset = 0;
  /** Finished pieces before buf[chunkStart..offset]: runs of buf and spliced byte strings. */
  private readonly chunks: Buffer[] = [];
  private chunkStart = 0;

  constructor(capacity = initialWriterBytes) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.offset + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  /** The bytes written so far (a view; valid until the next write). */
  finish(): Buffer {
    if (this.chunks.length === 0) return this.buf.subarray(0, this.offset);
    return Buffer.concat(this.finishChunks());
  }

  /** The bytes written so far as consecutive pieces, large byte strings by reference, not copied (views; valid until the next write). */
  finishChunks(): Buffer[] {
    const tail = this.buf.subarray(this.chunkStart, this.offset);
    return tail.length > 0 || this.chunks.length === 0 ? [...this.chunks, tail] : [...this.chunks];
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.offset++);
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.offset++] = v;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.offset = this.buf.writeInt16BE(v, this.offset);
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.offset = this.buf.writeUInt16BE(v, this.offset);
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.offset = this.buf.writeInt32BE(v, this.offset);
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.offset = this.buf.writeUInt32BE(v, this.offset);
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.offset = this.buf.writeBigInt64BE(v, this.offset);
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.offset = this.buf.writeDoubleBE(v, this.offset);
    return this;
  }

  uuid(v: Buffer): this {
    if (v.length !== 16) throw new RangeError(`uuid must be 16 bytes, got ${v.length}`);
    return this.raw(v);
  }

  uvarint(v: number): this {
    if (v < 0 || v > 0xffffffff || !Number.isInteger(v)) throw new RangeError(`uvarint out of range: ${v}`);
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.offset++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.offset++] = v;
    return this;
  }

  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  uvarlong(v: bigint): this {
    if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`uvarlong out of range: ${v}`);
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.offset++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.offset++] = Number(v);
    return this;
  }

  varlong(v: bigint): this {
    return this.uvarlong(BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)));
  }

  raw(v: Uint8Array): this {
    if (v.length >= writerSpliceMinBytes) {
      if (this.offset > this.chunkStart) this.chunks.push(this.buf.subarray(this.chunkStart, this.offset));
      this.chunks.push(Buffer.from(v.buffer, v.byteOffset, v.length));
      this.chunkStart = this.offset;
      return this;
    }
    this.ensure(v.length);
    this.buf.set(v, this.offset);
    this.offset += v.length;
    return this;
  }

  string(v: string): this {
    const n = Buffer.byteLength(v);
    this.int16(n);
    this.ensure(n);
    this.offset += this.buf.write(v, this.offset, n, 'utf8');
    return this;
  }

  nullableString(v: string | null): this {
    return v === null ? this.int16(-1) : this.string(v);
  }

  compactString(v: string): this {
    const n = Buffer.byteLength(v);
    this.uvarint(n + 1);
    this.ensure(n);
    this.offset += this.buf.write(v, this.offset, n, 'utf8');
    return this;
  }

  compactNullableString(v: string | null): this {
    return v === null ? this.uvarint(0) : this.compactString(v);
  }

  bytes(v: Uint8Array): this {
    return this.int32(v.length).raw(v);
  }

  nullableBytes(v: Uint8Array | null): this {
    return v === null ? this.int32(-1) : this.bytes(v);
  }

  compactBytes(v: Uint8Array): this {
    return this.uvarint(v.length + 1).raw(v);
  }

  compactNullableBytes(v: Uint8Array | null): this {
    return v === null ? this.uvarint(0) : this.compactBytes(v);
  }

  array<T>(items: readonly T[], writeElement: (w: Writer, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) writeElement(this, item);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null, writeElement: (w: Writer, item: T) => void): this {
    return items === null ? this.int32(-1) : this.array(items, writeElement);
  }

  compactArray<T>(items: readonly T[], writeElement: (w: Writer, item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const item of items) writeElement(this, item);
    return this;
  }

  compactNullableArray<T>(items: readonly T[] | null, writeElement: (w: Writer, item: T) => void): this {
    return items === null ? this.uvarint(0) : this.compactArray(items, writeElement);
  }

  nullableStruct<T>(value: T | null, writeStruct: (w: Writer, value: T) => void): this {
    if (value === null) return this.int8(-1);
    this.int8(1);
    writeStruct(this, value);
    return this;
  }

  /**
   * Writes a tagged-field section from (tag, encoder) pairs sorted by tag;
   * an encoder of `null` means the field holds its default and is omitted.
   */
  taggedFields(fields: ReadonlyArray<readonly [number, ((w: Writer) => void) | null]> = []): this {
    if (fields.length === 0) return this.uvarint(0);
    const present = fields.filter((f) => f[1] !== null);
    this.uvarint(present.length);
    for (const [tag, encode] of present) {
      const inner = new Writer(32);
      encode!(inner);
      const bytes = inner.finish();
      this.uvarint(tag).uvarint(bytes.length).raw(bytes);
    }
    return this;
  }
}

/** `value`, or a RangeError naming `field` when the version in use cannot carry null. */
export function nonNull<T>(value: T | null, field: string): T {
  if (value === null) throw new RangeError(`${field} must not be null in this version`);
  return value;
}

export function isZeroUuid(uuid: Buffer): boolean {
  return uuid.every((b) => b === 0);
}

/** Whether `a` and `b` encode to the same bytes (how tagged structs are compared with their default). */
export function encodesEqual<T>(encode: (w: Writer, v: T, version: number) => void, a: T, b: T, version: number): boolean {
  const wa = new Writer(64);
  const wb = new Writer(64);
  encode(wa, a, version);
  encode(wb, b, version);
  return wa.finish().equals(wb.finish());
}
