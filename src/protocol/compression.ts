/**
 * Record compression as Kafka's batch attributes name it (bits 0-2):
 * 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. `compress(codec, data)` and
 * `decompress(codec, data, maxBytes)`; decompress never builds more than
 * `maxBytes` of output (a small input may claim gigabytes) and reports every
 * failure as ProtocolError, the limit as its subclass DecompressedTooLarge.
 * `decompressedChunks(codec, data, maxBytes)` yields the same output in
 * pieces, for readers that need not hold it whole: gzip and zstd stream
 * through node:zlib in chunks of `streamChunkBytes` (decompressed on the
 * libuv thread pool, so the event loop stays free) and stop at `maxBytes`,
 * at most `decompressionStreamsMax` (src/limits.ts) at once in the process,
 * the others waiting their turn in order; snappy and lz4 come as one piece
 * (decoded whole, within `maxBytes`).
 * `compressionStage(codec, level)` is a node:stream pipeline stage that
 * compresses data arriving in pieces, holding no more than a block of it
 * (gzip and zstd stream through node:zlib, on the libuv thread pool; lz4
 * and snappy are framed in blocks, compressed on the event loop 64 KiB at
 * a time so that other work runs in between).
 *
 * gzip and zstd: node:zlib (RFC 1952 members; zstd frames).
 * snappy: compress writes raw snappy (snappyjs), as librdkafka and
 *   @platformatic/kafka send it. decompress also takes xerial framing, which
 *   kafka-python and the Java client write: 82 'SNAPPY' 00, int32 version,
 *   int32 compatible version, then blocks of int32 length + raw snappy.
 *   compressionStage writes xerial framing with 32 KiB blocks, as the Java
 *   client (raw snappy states the whole length first).
 *   Raw snappy is decoded by the native addon of @napi-rs/snappy (loaded
 *   by native-addons.ts; here 2-4x the portable decoder on kcat's 1 MB
 *   batches, 4-10x on word text) once its declared length (the leading
 *   varint) is found within the limit, so it allocates no more than that;
 *   without the addon, or when it refuses the data (to name the fault), by
 *   the portable decoder here: varint length, then literal/copy elements,
 *   checked against both buffers (snappyjs pads a short stream with zeros).
 * lz4: the LZ4 frame format (KIP-57): magic 04 22 4D 18 (LE), FLG, BD,
 *   [content size u64 LE], HC = byte 1 of XXH32(FLG..), then blocks of
 *   u32 LE size (bit 31: stored uncompressed) + data [+ XXH32], end mark 0,
 *   [XXH32 of the content]. compress and compressionStage write independent
 *   blocks under a 64 KiB maximum with lz4js's block compressor; decompress
 *   is our bounds-checked decoder and also takes linked blocks (python-lz4's default), checksums,
 *   a content size, and the pre-KIP-57 HC (over magic too) of magic-0 sets,
 *   which `withLegacyLz4HeaderChecksum` writes. lz4-napi's frame decoder
 *   was measured in its place: it cannot be given an output limit, and on
 *   kcat's 1 MB batches it ran at a fifth to a quarter of the portable
 *   decoder's rate (its output is an external buffer), so lz4 stays
 *   portable.
 */
import type { Transform } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  constants as zlibConstants,
  createGunzip,
  createGzip,
  createZstdCompress,
  createZstdDecompress,
  gunzipSync,
  gzipSync,
  zstdCompressSync,
  zstdDecompressSync,
  type Gunzip,
  type ZstdDecompress,
} from 'node:zlib';
import { compressBlock, compressBound } from 'lz4js';
import { hash as xxh32 } from 'lz4js/xxh32.js';
import { compress as snappyCompress } from 'snappyjs';
import { decompressedBytesMax, decompressionStreamsMax } from '../limits.ts';
import { loadNativeAddon, nativeAddons } from './native-addons.ts';
import { ProtocolError, Reader } from './primitives.ts';

type SnappyUncompress = (data: Uint8Array, options: typeof nativeSnappyOptions) => Buffer;
const snappyAddon = loadNativeAddon(nativeAddons.snappy);
const nativeSnappy = typeof snappyAddon.exports?.uncompressSync === 'function' ? (snappyAddon.exports.uncompressSync as SnappyUncompress) : null;
/**
 * copyOutputData: the output is copied into a Buffer of V8's; without it the
 * addon hands out its own memory as an external buffer, which decoded 1 MB
 * at a quarter of the copying rate here (and below the portable decoder).
 */
const nativeSnappyOptions = { asBuffer: true, copyOutputData: true } as const;

/** Which decoder serves snappy, for the broker's start-up log. */
export const snappyImplementation: string = nativeSnappy
  ? 'native (@napi-rs/snappy)'
  : `portable JS (native addon not loaded: ${snappyAddon.problem ?? 'it has no uncompressSync'})`;

export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec];

export function compress(codec: number, data: Uint8Array): Buffer {
  switch (codec) {
    case CompressionCodec.none:
      return asBuffer(data);
    case CompressionCodec.gzip:
      return gzipSync(data);
    case CompressionCodec.snappy:
      return asBuffer(snappyCompress(data));
    case CompressionCodec.lz4:
      return lz4CompressFrame(data);
    case CompressionCodec.zstd:
      return zstdCompressSync(data);
    default:
      throw new RangeError(`unknown compression codec ${codec}`);
  }
}

export function decompress(codec: number, data: Uint8Array, maxBytes = decompressedBytesMax): Buffer {
  const input = asBuffer(data);
  switch (codec) {
    case CompressionCodec.none:
      if (input.length > maxBytes) throw tooLarge(maxBytes);
      return input;
    case CompressionCodec.gzip:
      return viaZlib('gzip', maxBytes, (maxOutputLength) => gunzipSync(input, { maxOutputLength }));
    case CompressionCodec.snappy:
      return snappyDecompress(input, maxBytes);
    case CompressionCodec.lz4:
      return lz4DecompressFrame(input, maxBytes);
    case CompressionCodec.zstd:
      return viaZlib('zstd', maxBytes, (maxOutputLength) => zstdDecompressSync(input, { maxOutputLength }));
    default:
      throw new ProtocolError(`unknown compression codec ${codec}`);
  }
}

/** Bytes of each piece a zlib compression stage puts out, and of each slice a framed stage compresses at once. */
const stageChunkBytes = 64 * 1024;

/** One stage of node:stream's pipeline, taking Buffers in and putting Buffers out. */
export type PipelineStage = Transform | ((source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>);

/**
 * A pipeline stage that compresses the pieces flowing through it (see the
 * header); `level` is the codec's own scale (gzip -1 or 1-9, zstd
 * -131072..22; lz4js has one level, so lz4 ignores it), undefined for the
 * codec's default.
 */
export function compressionStage(codec: number, level?: number): PipelineStage {
  switch (codec) {
    case CompressionCodec.none:
      return async function* (source) {
        yield* source;
      };
    case CompressionCodec.gzip:
      return createGzip({ level: level ?? zlibConstants.Z_DEFAULT_COMPRESSION, chunkSize: stageChunkBytes });
    case CompressionCodec.snappy:
      return framed(xerialSnappyFormat());
    case CompressionCodec.lz4:
      return framed(lz4FrameFormat());
    case CompressionCodec.zstd:
      return createZstdCompress({ chunkSize: stageChunkBytes, params: level === undefined ? {} : { [zlibConstants.ZSTD_c_compressionLevel]: level } });
    default:
      throw new RangeError(`unknown compression codec ${codec}`);
  }
}

/** A BlockFormat as a pipeline stage: a large piece (snappy and lz4 decompress whole) is taken in slices, the event loop running between them. */
function framed(format: BlockFormat): PipelineStage {
  return async function* (source) {
    const framer = new BlockFramer(format);
    for await (const piece of source) {
      for (let at = 0; at < piece.length; at += stageChunkBytes) {
        if (at > 0) await nextTurn();
        yield* framer.push(piece.subarray(at, at + stageChunkBytes));
      }
    }
    yield* framer.end();
  };
}

/** Bytes of each piece decompressedChunks streams out of zlib. */
const streamChunkBytes = 128 * 1024;

/** decompress's output in pieces (see the header); stopping the iteration early stops decompressing. */
export async function* decompressedChunks(codec: number, data: Uint8Array, maxBytes = decompressedBytesMax): AsyncGenerator<Buffer> {
  if (codec === CompressionCodec.gzip) yield* viaZlibStream('gzip', () => createGunzip({ chunkSize: streamChunkBytes }), data, maxBytes);
  else if (codec === CompressionCodec.zstd) yield* viaZlibStream('zstd', () => createZstdDecompress({ chunkSize: streamChunkBytes }), data, maxBytes);
  else yield decompress(codec, data, maxBytes);
}

async function* viaZlibStream(name: string, makeStream: () => Gunzip | ZstdDecompress, data: Uint8Array, maxBytes: number): AsyncGenerator<Buffer> {
  await streamTurns.take();
  const stream = makeStream();
  let total = 0;
  stream.end(data);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw tooLarge(maxBytes);
      yield chunk;
    }
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(`corrupt ${name} data: ${(error as Error).message}`, { cause: error });
  } finally {
    stream.destroy();
    streamTurns.give();
  }
}

/** Turns to run a zlib stream: `decompressionStreamsMax` at once, handed on in the order they were asked for. */
const streamTurns = {
  running: 0,
  waiting: [] as (() => void)[],
  async take(): Promise<void> {
    if (this.running < decompressionStreamsMax) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  },
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  },
};

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Data that would decompress to more than the limit allows: not corrupt, but refused. */
export class DecompressedTooLarge extends ProtocolError {
  override name = 'DecompressedTooLarge';
}

function tooLarge(maxBytes: number): DecompressedTooLarge {
  return new DecompressedTooLarge(`decompressed data exceeds the limit of ${maxBytes} bytes`);
}

function corrupt(what: string): ProtocolError {
  return new ProtocolError(`corrupt ${what}`);
}

function viaZlib(name: string, maxBytes: number, run: (maxOutputLength: number) => Buffer): Buffer {
  let out: Buffer;
  try {
    // zlib refuses a limit of 0; an empty result is still checked below.
    out = run(Math.max(maxBytes, 1));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes);
    throw new ProtocolError(`corrupt ${name} data: ${(error as Error).message}`, { cause: error });
  }
  if (out.length > maxBytes) throw tooLarge(maxBytes);
  return out;
}

/** A match this short and overlapping is copied byte by byte: cheaper than the calls below. */
const overlapCopyBytesMin = 32;

/**
 * Copies an LZ/snappy back-reference, which may overlap the bytes it
 * produces. An overlapping one repeats its first `distance` bytes: what is
 * copied so far is a whole number of repeats, so each copyWithin can take
 * all of it, doubling the run (a 64 KiB run of one byte in 16 copies, not
 * 65,536 steps).
 */
function copyMatch(out: Buffer, at: number, distance: number, length: number): void {
  const from = at - distance;
  if (distance >= length) {
    out.copyWithin(at, from, from + length);
    return;
  }
  if (length < overlapCopyBytesMin) {
    for (let i = 0; i < length; i++) out[at + i] = out[from + i];
    return;
  }
  for (let copied = 0; copied < length; ) {
    const run = Math.min(at + copied - from, length - copied);
    out.copyWithin(at + copied, from, from + run);
    copied += run;
  }
}

/** A block-framed compressed format: a header, one encoded block per `blockInputBytes` of input (the last may be shorter), a trailer. */
interface BlockFormat {
  blockInputBytes: number;
  header(): Buffer;
  block(data: Buffer): Buffer;
  trailer(): Buffer | null;
}

/** Writes a BlockFormat from data given in pieces of any size: a block is encoded as soon as its input is complete. */
class BlockFramer {
  private readonly format: BlockFormat;
  private readonly block: Buffer;
  private filled = 0;
  private started = false;

  constructor(format: BlockFormat) {
    this.format = format;
    this.block = Buffer.allocUnsafe(format.blockInputBytes);
  }

  push(data: Uint8Array): Buffer[] {
    const out = this.started ? [] : [this.format.header()];
    this.started = true;
    for (let at = 0; at < data.length; ) {
      const taken = Math.min(data.length - at, this.block.length - this.filled);
      this.block.set(data.subarray(at, at + taken), this.filled);
      this.filled += taken;
      at += taken;
      if (this.filled === this.block.length) out.push(this.flush());
    }
    return out;
  }

  /** The last, partial block and the trailer. */
  end(): Buffer[] {
    const out = this.push(new Uint8Array(0));
    if (this.filled > 0) out.push(this.flush());
    const trailer = this.format.trailer();
    if (trailer) out.push(trailer);
    return out;
  }

  private flush(): Buffer {
    const encoded = this.format.block(this.block.subarray(0, this.filled));
    this.filled = 0;
    return encoded;
  }
}

// ---- snappy ----

const xerialMagic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const xerialHeaderBytes = 16;

function snappyDecompress(input: Buffer, maxBytes: number): Buffer {
  if (input.length < xerialHeaderBytes || !input.subarray(0, xerialMagic.length).equals(xerialMagic)) {
    return snappyDecodeRaw(input, 0, input.length, maxBytes);
  }
  const blocks: Buffer[] = [];
  let total = 0;
  let p = xerialHeaderBytes;
  while (p < input.length) {
    if (input.length - p < 4) throw corrupt('xerial snappy block length');
    const size = input.readInt32BE(p);
    p += 4;
    if (size < 0 || size > input.length - p) throw corrupt(`xerial snappy block of ${size} bytes`);
    const block = snappyDecodeRaw(input, p, p + size, maxBytes - total);
    blocks.push(block);
    total += block.length;
    p += size;
  }
  return Buffer.concat(blocks, total);
}

/** Input bytes per raw snappy block of a xerial stream we write (the Java client's block size). */
const xerialBlockInputBytes = 32 * 1024;

/** How compressionStage frames snappy: a xerial stream (header above) of raw snappy blocks, each an int32 length + its bytes. */
function xerialSnappyFormat(): BlockFormat {
  return {
    blockInputBytes: xerialBlockInputBytes,
    header() {
      const header = Buffer.alloc(xerialHeaderBytes);
      xerialMagic.copy(header);
      header.writeInt32BE(1, 8); // version
      header.writeInt32BE(1, 12); // compatible version
      return header;
    },
    block(data) {
      const packed = snappyCompress(data);
      const out = Buffer.allocUnsafe(4 + packed.length);
      out.writeInt32BE(packed.length, 0);
      out.set(packed, 4);
      return out;
    },
    trailer: () => null,
  };
}

/**
 * Decodes one raw snappy stream held in input[start, end), whose declared
 * length (its first varint) must be within `maxBytes`: by the native
 * decoder, which allocates exactly that length, when it loaded; when it
 * fails, the portable decoder below names the fault.
 */
function snappyDecodeRaw(input: Buffer, start: number, end: number, maxBytes: number): Buffer {
  const preamble = new Reader(input, start, end);
  const length = preamble.uvarint();
  if (length > maxBytes) throw tooLarge(maxBytes);
  if (nativeSnappy) {
    try {
      const out = nativeSnappy(input.subarray(start, end), nativeSnappyOptions);
      if (out.length === length) return out;
    } catch {
      // the portable decoder says what is wrong
    }
  }
  return snappyDecodePortable(input, preamble.offset, end, length);
}

/** The portable raw snappy decoder: the elements in input[p, end) into `length` bytes, checked against both buffers. */
function snappyDecodePortable(input: Buffer, p: number, end: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let o = 0;
  while (p < end) {
    const tag = input[p++];
    const kind = tag & 3;
    if (kind === 0) {
      let literals = (tag >>> 2) + 1;
      if (literals > 60) {
        const lengthBytes = literals - 60;
        if (end - p < lengthBytes) throw corrupt('snappy literal length');
        literals = input.readUIntLE(p, lengthBytes) + 1;
        p += lengthBytes;
      }
      if (literals > end - p || literals > length - o) throw corrupt('snappy literal');
      input.copy(out, o, p, p + literals);
      p += literals;
      o += literals;
      continue;
    }
    const offsetBytes = kind === 1 ? 1 : kind === 2 ? 2 : 4;
    if (end - p < offsetBytes) throw corrupt('snappy copy');
    let matchLength: number;
    let distance: number;
    if (kind === 1) {
      matchLength = ((tag >>> 2) & 7) + 4;
      distance = ((tag >>> 5) << 8) | input[p];
    } else {
      matchLength = (tag >>> 2) + 1;
      distance = kind === 2 ? input.readUInt16LE(p) : input.readUInt32LE(p);
    }
    p += offsetBytes;
    if (distance === 0 || distance > o || matchLength > length - o) throw corrupt('snappy copy');
    copyMatch(out, o, distance, matchLength);
    o += matchLength;
  }
  if (o !== length) throw corrupt(`snappy stream: ${o} of ${length} bytes present`);
  return out;
}

// ---- lz4 ----

const lz4Magic = 0x184d2204;
const lz4Flags = {
  versionMask: 0xc0,
  version1: 0x40,
  blockIndependence: 0x20,
  blockChecksum: 0x10,
  contentSize: 0x08,
  contentChecksum: 0x04,
  dictionaryId: 0x01,
} as const;
const lz4BlockStored = 0x80000000;
const lz4BlockMax64KiB = 4;
/**
 * Input bytes per block we write. lz4js may start a block's last match 10
 * bytes before its end, 2 bytes later than the LZ4 spec allows; liblz4
 * (librdkafka, python-lz4, the lz4 CLI) rejects that only in a block that
 * fills the frame's declared maximum, so ours stay 2 bytes short of it.
 */
const lz4BlockInputBytes = 64 * 1024 - 2;
const lz4HashEntries = 1 << 16;

/** HC byte: second byte of XXH32 over buf[from, to). */
function lz4HeaderChecksum(buf: Buffer, from: number, to: number): number {
  return (xxh32(0, buf, from, to - from) >>> 8) & 0xff;
}

/**
 * A frame from compress(lz4) with the pre-KIP-57 HC (over the magic too),
 * which Kafka writes and old clients expect in magic-0 message sets.
 */
export function withLegacyLz4HeaderChecksum(frame: Buffer): Buffer {
  frame[6] = lz4HeaderChecksum(frame, 0, 6);
  return frame;
}

function lz4CompressFrame(data: Uint8Array): Buffer {
  const framer = new BlockFramer(lz4FrameFormat());
  return Buffer.concat([...framer.push(data), ...framer.end()]);
}

/** An LZ4 frame of independent blocks (header above), up to `lz4BlockInputBytes` of input each. */
function lz4FrameFormat(): BlockFormat {
  const hashTable = new Uint32Array(lz4HashEntries);
  const scratch = new Uint8Array(compressBound(lz4BlockInputBytes));
  return {
    blockInputBytes: lz4BlockInputBytes,
    header() {
      const header = Buffer.allocUnsafe(7);
      header.writeUInt32LE(lz4Magic, 0);
      header[4] = lz4Flags.version1 | lz4Flags.blockIndependence;
      header[5] = lz4BlockMax64KiB << 4;
      header[6] = lz4HeaderChecksum(header, 4, 6);
      return header;
    },
    block(data) {
      hashTable.fill(0);
      const size = compressBlock(data, scratch, 0, data.length, hashTable);
      const stored = size === 0 || size >= data.length;
      const out = Buffer.allocUnsafe(4 + (stored ? data.length : size));
      out.writeUInt32LE(stored ? (lz4BlockStored | data.length) >>> 0 : size, 0);
      out.set(stored ? data : scratch.subarray(0, size), 4);
      return out;
    },
    trailer: () => Buffer.alloc(4), // end mark
  };
}

function lz4DecompressFrame(input: Buffer, maxBytes: number): Buffer {
  if (input.length < 7 || input.readUInt32LE(0) !== lz4Magic) throw corrupt('LZ4 frame: bad magic');
  const flags = input[4];
  if ((flags & lz4Flags.versionMask) !== lz4Flags.version1) throw corrupt('LZ4 frame: unknown version');
  if (flags & lz4Flags.dictionaryId) throw new ProtocolError('LZ4 frames with a dictionary are not supported');
  const blockMaxId = (input[5] >>> 4) & 7;
  if (blockMaxId < 4) throw corrupt(`LZ4 frame: block maximum id ${blockMaxId}`);
  const blockMax = 1 << (2 * blockMaxId + 8);
  const blockChecksums = (flags & lz4Flags.blockChecksum) !== 0;
  let p = 6;
  let contentSize = -1;
  if (flags & lz4Flags.contentSize) {
    if (input.length < p + 9) throw corrupt('LZ4 frame header');
    const declared = input.readBigUInt64LE(p);
    if (declared > BigInt(maxBytes)) throw tooLarge(maxBytes);
    contentSize = Number(declared);
    p += 8;
  }
  const hc = input[p];
  if (hc !== lz4HeaderChecksum(input, 4, p) && hc !== lz4HeaderChecksum(input, 0, p)) {
    throw corrupt('LZ4 frame: header checksum mismatch');
  }
  p += 1;

  let out: Buffer = Buffer.allocUnsafe(0);
  let o = 0;
  for (;;) {
    if (input.length - p < 4) throw corrupt('LZ4 frame: truncated');
    const word = input.readUInt32LE(p);
    p += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    const checksumBytes = blockChecksums ? 4 : 0;
    if (size > blockMax) throw corrupt(`LZ4 block of ${size} bytes`);
    if (input.length - p < size + checksumBytes) throw corrupt('LZ4 frame: truncated block');
    if (blockChecksums && xxh32(0, input, p, size) !== input.readUInt32LE(p + size)) {
      throw corrupt('LZ4 block: checksum mismatch');
    }
    const limit = Math.min(o + blockMax, maxBytes);
    out = withCapacity(out, o, limit, maxBytes);
    const next =
      word >= lz4BlockStored
        ? copyStored(input, p, size, out, o, limit)
        : lz4DecodeBlock(input, p, p + size, out, o, limit);
    if (next < 0) throw limit === maxBytes ? tooLarge(maxBytes) : corrupt('LZ4 block: larger than its frame allows');
    o = next;
    p += size + checksumBytes;
  }
  if (flags & lz4Flags.contentChecksum) {
    if (input.length - p < 4) throw corrupt('LZ4 frame: truncated');
    if (xxh32(0, out, 0, o) !== input.readUInt32LE(p)) throw corrupt('LZ4 frame: content checksum mismatch');
    p += 4;
  }
  if (p !== input.length) throw corrupt(`LZ4 frame: ${input.length - p} bytes after its end`);
  if (contentSize >= 0 && contentSize !== o) throw corrupt(`LZ4 frame: ${o} bytes where ${contentSize} were declared`);
  return out.subarray(0, o);
}

/** Returns `out`, or a larger copy of its first `used` bytes: at least `needed`, doubling up to `cap`. */
function withCapacity(out: Buffer, used: number, needed: number, cap: number): Buffer {
  if (out.length >= needed) return out;
  const grown = Buffer.allocUnsafe(Math.min(Math.max(needed, out.length * 2), cap));
  out.copy(grown, 0, 0, used);
  return grown;
}

function copyStored(input: Buffer, p: number, size: number, out: Buffer, o: number, limit: number): number {
  if (size > limit - o) return -1;
  input.copy(out, o, p, p + size);
  return o + size;
}

/**
 * Decodes the LZ4 block input[p, end) into out at o. Returns the new output
 * position, or -1 when the block would write past `limit`. Matches may reach
 * back into earlier blocks' output (linked blocks).
 */
function lz4DecodeBlock(input: Buffer, p: number, end: number, out: Buffer, o: number, limit: number): number {
  const extendedLength = (length: number): number => {
    let byte: number;
    do {
      if (p >= end) throw corrupt('LZ4 block: truncated length');
      byte = input[p++];
      length += byte;
    } while (byte === 255);
    return length;
  };
  for (;;) {
    if (p >= end) throw corrupt('LZ4 block: ends without literals');
    const token = input[p++];
    let literals = token >>> 4;
    if (literals === 15) literals = extendedLength(literals);
    if (literals > end - p) throw corrupt('LZ4 block: literals run past its end');
    if (literals > limit - o) return -1;
    input.copy(out, o, p, p + literals);
    p += literals;
    o += literals;
    if (p === end) return o;
    if (end - p < 2) throw corrupt('LZ4 block: truncated match');
    const distance = input.readUInt16LE(p);
    p += 2;
    if (distance === 0 || distance > o) throw corrupt('LZ4 block: match before the start of output');
    let matchLength = token & 15;
    if (matchLength === 15) matchLength = extendedLength(matchLength);
    matchLength += 4;
    if (matchLength > limit - o) return -1;
    copyMatch(out, o, distance, matchLength);
    o += matchLength;
  }
}
