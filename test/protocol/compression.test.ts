import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { hash as xxh32 } from 'lz4js/xxh32.js';
import { compress, CompressionCodec, compressionStage, decompress, decompressedChunks, DecompressedTooLarge, snappyImplementation } from '../../src/protocol/compression.ts';
import { loadNativeAddon } from '../../src/protocol/native-addons.ts';
import { decompressionStreamsMax } from '../../src/limits.ts';
import { ProtocolError } from '../../src/protocol/primitives.ts';
import { sampleText } from '../fixtures/compression/sample.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/compression/${name}`, import.meta.url));
const codecs = Object.entries(CompressionCodec);
const compressing = codecs.filter(([, codec]) => codec !== CompressionCodec.none);

function pseudoRandom(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    out[i] = state >>> 16;
  }
  return out;
}

const inputs: Array<[string, Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from('x')],
  ['short text', Buffer.from('hello hello hello hello kafka')],
  ['incompressible 70 KB', pseudoRandom(70_000, 7)],
  ['text over several LZ4 blocks', Buffer.concat([sampleText(), sampleText(), sampleText()])],
  ['zeros', Buffer.alloc(200_000)],
  ['a three-byte pattern, long overlapping matches', Buffer.from('abc'.repeat(30_000))],
];

describe('compress/decompress round trips', () => {
  for (const [codecName, codec] of codecs) {
    for (const [inputName, input] of inputs) {
      it(`${codecName}: ${inputName}`, () => {
        const packed = compress(codec, input);
        assert.deepEqual(decompress(codec, packed, input.length), input);
      });
    }
  }

  it('compresses compressible data', () => {
    const text = sampleText();
    for (const [name, codec] of compressing) {
      assert.ok(compress(codec, text).length < text.length / 2, name);
    }
  });
});

/** Sends `input` through compressionStage in pieces of `pieceBytes`; the output joined. */
async function throughStage(codec: number, input: Buffer, pieceBytes: number, level?: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < input.length; at += pieceBytes) pieces.push(input.subarray(at, at + pieceBytes));
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), compressionStage(codec, level), async (compressed: AsyncIterable<Buffer>) => {
    for await (const piece of compressed) out.push(piece);
  });
  return Buffer.concat(out);
}

describe('compressionStage: compressing data that arrives in pieces', () => {
  for (const [codecName, codec] of codecs) {
    for (const [inputName, input] of inputs) {
      for (const pieceBytes of [1000, 65_536]) {
        it(`${codecName}: ${inputName} in pieces of ${pieceBytes} bytes`, async () => {
          const packed = await throughStage(codec, input, pieceBytes);
          assert.deepEqual(decompress(codec, packed, input.length), input);
        });
      }
    }
  }

  it('lz4: the same frame as compress, however the input is cut', async () => {
    const input = Buffer.concat([sampleText(), sampleText(), sampleText()]);
    assert.deepEqual(await throughStage(CompressionCodec.lz4, input, 777), compress(CompressionCodec.lz4, input));
  });

  it('snappy: xerial framing of 32 KiB blocks, which the Java client writes', async () => {
    const packed = await throughStage(CompressionCodec.snappy, Buffer.alloc(70_000, 'q'), 5000);
    assert.deepEqual(packed.subarray(0, 16), Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]));
    let blocks = 0;
    for (let p = 16; p < packed.length; p += 4 + packed.readInt32BE(p)) blocks++;
    assert.equal(blocks, 3);
  });

  it('lz4 and snappy: a large piece is compressed a slice at a time, the event loop running in between', async () => {
    for (const codec of [CompressionCodec.lz4, CompressionCodec.snappy]) {
      let turns = 0;
      let ticking = true;
      const tick = () => {
        if (!ticking) return;
        turns++;
        setImmediate(tick);
      };
      setImmediate(tick);
      const input = Buffer.alloc(4 << 20, 'z');
      const packed = await throughStage(codec, input, input.length);
      ticking = false;
      assert.ok(turns >= 32, `codec ${codec}: the event loop turned ${turns} times while 64 slices were compressed`);
      assert.deepEqual(decompress(codec, packed), input);
    }
  });

  it('gzip and zstd take a level: a lower one compresses less', async () => {
    const text = Buffer.concat([sampleText(), pseudoRandom(20_000, 3), sampleText()]);
    const gzipFast = await throughStage(CompressionCodec.gzip, text, 4096, 1);
    const gzipBest = await throughStage(CompressionCodec.gzip, text, 4096, 9);
    assert.ok(gzipFast.length > gzipBest.length, `gzip level 1: ${gzipFast.length} bytes, level 9: ${gzipBest.length}`);
    assert.deepEqual(gunzipSync(gzipFast), text);
    const zstdFast = await throughStage(CompressionCodec.zstd, text, 4096, -50);
    const zstdBest = await throughStage(CompressionCodec.zstd, text, 4096, 19);
    assert.ok(zstdFast.length > zstdBest.length, `zstd level -50: ${zstdFast.length} bytes, level 19: ${zstdBest.length}`);
    assert.deepEqual(decompress(CompressionCodec.zstd, zstdFast), text);
  });
});

describe('lz4 frames', () => {
  it('writes version 1, independent 64 KiB blocks and a header checksum over the descriptor (KIP-57)', () => {
    const frame = compress(CompressionCodec.lz4, Buffer.concat([sampleText(), sampleText()]));
    assert.equal(frame.readUInt32LE(0), 0x184d2204);
    assert.equal(frame[4], 0x60); // version 01, block independence, no checksums, no content size
    assert.equal(frame[5], 0x40); // 64 KiB block maximum
    assert.equal(frame[6], (xxh32(0, frame, 4, 2) >>> 8) & 0xff);
    let p = 7;
    const blockSizes: number[] = [];
    for (let word = frame.readUInt32LE(p); word !== 0; word = frame.readUInt32LE(p)) {
      const size = word & 0x7fffffff;
      // Each block decoded on its own: independent, and 2 bytes short of the maximum
      // (liblz4 rejects lz4js's late last match only in a block that fills it).
      const alone = Buffer.concat([frame.subarray(0, 7), frame.subarray(p, p + 4 + size), Buffer.alloc(4)]);
      blockSizes.push(decompress(CompressionCodec.lz4, alone).length);
      p += 4 + size;
    }
    assert.equal(p + 4, frame.length, 'end mark closes the frame');
    assert.deepEqual(blockSizes, [65534, 65534, sampleText().length * 2 - 2 * 65534]);
  });

  it('decodes the lz4 CLI: linked blocks with block checksums, content size and content checksum', () => {
    assert.deepEqual(decompress(CompressionCodec.lz4, fixture('linked-64k-checksums.lz4')), sampleText());
  });

  it('decodes the lz4 CLI with its defaults', () => {
    assert.deepEqual(decompress(CompressionCodec.lz4, fixture('cli-defaults.lz4')), sampleText());
  });

  it('accepts the pre-KIP-57 header checksum (computed over the magic too) of magic-0 message sets', () => {
    const frame = Buffer.from(compress(CompressionCodec.lz4, Buffer.from('legacy legacy legacy')));
    frame[6] = (xxh32(0, frame, 0, 6) >>> 8) & 0xff;
    assert.deepEqual(decompress(CompressionCodec.lz4, frame), Buffer.from('legacy legacy legacy'));
  });

  it('rejects a wrong header checksum, block checksum or content checksum', () => {
    const header = Buffer.from(compress(CompressionCodec.lz4, Buffer.from('abc')));
    header[6] ^= 0xff;
    assert.throws(() => decompress(CompressionCodec.lz4, header), /header checksum/);

    const linked = Buffer.from(fixture('linked-64k-checksums.lz4'));
    const firstBlockData = 4 + 2 + 8 + 1 + 4; // magic, FLG+BD, content size, HC, block size
    linked[firstBlockData + 10] ^= 0x01;
    assert.throws(() => decompress(CompressionCodec.lz4, linked), /block: checksum/);

    const content = Buffer.from(fixture('linked-64k-checksums.lz4'));
    content[content.length - 1] ^= 0x01;
    assert.throws(() => decompress(CompressionCodec.lz4, content), /content checksum/);
  });

  it('rejects a truncated frame and bytes after the end mark', () => {
    const frame = compress(CompressionCodec.lz4, sampleText());
    assert.throws(() => decompress(CompressionCodec.lz4, frame.subarray(0, frame.length - 5)), ProtocolError);
    assert.throws(() => decompress(CompressionCodec.lz4, Buffer.concat([frame, Buffer.from([0])])), /after its end/);
  });

  it('rejects a match that points before the start of the output', () => {
    // header, one compressed block: token (1 literal, match length 4), "a", distance 2, end mark
    const frame = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0, 4, 0, 0, 0, 0x10, 0x61, 0x02, 0x00, 0, 0, 0, 0]);
    frame[6] = (xxh32(0, frame, 4, 2) >>> 8) & 0xff;
    assert.throws(() => decompress(CompressionCodec.lz4, frame), /before the start/);
  });
});

describe('snappy', () => {
  // Raw snappy by hand: length 9, literal "abc" (tag (3-1)<<2), copy-1 of length 6 at distance 3.
  const raw = Buffer.from([0x09, 0x08, 0x61, 0x62, 0x63, 0x09, 0x03]);
  const xerialHeader = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);

  it('decodes raw snappy built from the format description', () => {
    assert.equal(decompress(CompressionCodec.snappy, raw).toString(), 'abcabcabc');
  });

  it('decodes xerial framing as kafka-python writes it: header, then int32-length raw blocks', () => {
    const second = compress(CompressionCodec.snappy, Buffer.from('-and more'));
    const framed = Buffer.concat([
      xerialHeader,
      Buffer.from([0, 0, 0, raw.length]),
      raw,
      Buffer.from([0, 0, 0, second.length]),
      second,
    ]);
    assert.equal(decompress(CompressionCodec.snappy, framed).toString(), 'abcabcabc-and more');
  });

  it('compress writes raw snappy: a varint of the length, no xerial header', () => {
    const packed = compress(CompressionCodec.snappy, Buffer.alloc(300, 'z'));
    assert.deepEqual([...packed.subarray(0, 2)], [0xac, 0x02]);
  });

  it('rejects a stream that ends before its declared length (snappyjs would pad it with zeros)', () => {
    assert.throws(() => decompress(CompressionCodec.snappy, Buffer.from([100, 0x08, 0x61, 0x62, 0x63])), /3 of 100 bytes/);
  });

  it('rejects a copy that writes past the declared length', () => {
    assert.throws(() => decompress(CompressionCodec.snappy, Buffer.from([0x05, 0x08, 0x61, 0x62, 0x63, 0x09, 0x03])), ProtocolError);
  });

  it('decodes with the native addon from node_modules, which the broker names in its start-up log', () => {
    assert.equal(snappyImplementation, 'native (@napi-rs/snappy)');
    const text = Buffer.concat([sampleText(), sampleText()]);
    assert.deepEqual(decompress(CompressionCodec.snappy, compress(CompressionCodec.snappy, text)), text);
  });

  it('decodes with the portable decoder where native addons cannot load (node --no-addons)', () => {
    const script = [
      `const { compress, decompress, snappyImplementation } = await import(${JSON.stringify(new URL('../../src/protocol/compression.ts', import.meta.url).href)});`,
      "const text = Buffer.from('abc'.repeat(30000) + 'tail');",
      'const same = decompress(2, compress(2, text)).equals(text);',
      'console.log(JSON.stringify({ snappyImplementation, same }));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--no-addons', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const { snappyImplementation: implementation, same } = JSON.parse(run.stdout);
    assert.match(implementation, /^portable JS \(native addon not loaded: /);
    assert.equal(same, true);
  });

  it('refuses a stream declaring more than the limit before decoding it (the native decoder would allocate it)', () => {
    const claimsFourGiB = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61]);
    assert.throws(() => decompress(CompressionCodec.snappy, claimsFourGiB), DecompressedTooLarge);
  });

  it('rejects a truncated xerial block', () => {
    const framed = Buffer.concat([xerialHeader, Buffer.from([0, 0, 0, 50]), raw]);
    assert.throws(() => decompress(CompressionCodec.snappy, framed), /xerial/);
  });
});

describe('native addons', () => {
  it('an addon that is not installed is reported with the reason, for the portable fallback', () => {
    const loaded = loadNativeAddon({ package: '@kb-test/not-installed', asset: 'none.node' });
    assert.equal(loaded.exports, null);
    assert.match(loaded.problem ?? '', /no @kb-test\/not-installed addon for linux-x64/);
  });
});

describe('zstd', () => {
  it('decodes a frame from the zstd CLI', () => {
    assert.deepEqual(decompress(CompressionCodec.zstd, fixture('sample.zst')), sampleText());
  });
});

describe('decompressed-size limit', () => {
  const zeros = Buffer.alloc(1_000_000);

  for (const [name, codec] of codecs) {
    it(`${name}: throws ProtocolError past maxBytes, passes at exactly maxBytes`, () => {
      const packed = compress(codec, zeros);
      assert.throws(() => decompress(codec, packed, zeros.length - 1), (error: unknown) => {
        assert.ok(error instanceof ProtocolError);
        assert.match(error.message, /exceeds the limit of 999999 bytes/);
        return true;
      });
      assert.equal(decompress(codec, packed, zeros.length).length, zeros.length);
    });
  }

  it('counts all xerial snappy blocks against one limit', () => {
    const block = compress(CompressionCodec.snappy, Buffer.alloc(600));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    const framed = Buffer.concat([
      Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]),
      length,
      block,
      length,
      block,
    ]);
    assert.equal(decompress(CompressionCodec.snappy, framed, 1200).length, 1200);
    assert.throws(() => decompress(CompressionCodec.snappy, framed, 1000), /exceeds the limit/);
  });

  it('refuses an LZ4 frame whose declared content size is past the limit before decoding it', () => {
    const frame = fixture('linked-64k-checksums.lz4');
    assert.throws(() => decompress(CompressionCodec.lz4, frame, 1000), /exceeds the limit/);
  });
});

describe('garbage input', () => {
  const garbage = [Buffer.from('definitely not compressed data'), pseudoRandom(64, 3), Buffer.alloc(0)];

  for (const [name, codec] of compressing) {
    it(`${name}: every failure is a ProtocolError`, () => {
      for (const input of garbage) {
        assert.throws(() => decompress(codec, input), ProtocolError, `${name} on ${input.toString('hex')}`);
      }
      const valid = compress(codec, sampleText());
      for (const cut of [1, Math.floor(valid.length / 2), valid.length - 1]) {
        assert.throws(() => decompress(codec, valid.subarray(0, cut)), ProtocolError, `${name} cut at ${cut}`);
      }
    });
  }

  it('reports a gzip member with a bad CRC as ProtocolError', () => {
    const member = Buffer.from(gzipSync(Buffer.from('hello gzip')));
    member[member.length - 6] ^= 0xff;
    assert.throws(() => decompress(CompressionCodec.gzip, member), ProtocolError);
  });

  it('refuses codecs 5-7', () => {
    assert.throws(() => decompress(5, Buffer.from('x')), /unknown compression codec 5/);
  });
});

describe('decompressedChunks', () => {
  const data = Buffer.concat(Array.from({ length: 40 }, () => sampleText()));

  for (const [name, codec] of Object.entries(CompressionCodec)) {
    it(`${name}: yields decompress's output, in pieces of at most 128 KiB for gzip and zstd`, async () => {
      const pieces: Buffer[] = [];
      for await (const piece of decompressedChunks(codec, compress(codec, data))) pieces.push(piece);
      assert.deepEqual(Buffer.concat(pieces), data);
      if (codec === CompressionCodec.gzip || codec === CompressionCodec.zstd) assert.ok(pieces.length > 1 && pieces.every((p) => p.length <= 128 * 1024));
    });
  }

  it('stops at the limit', async () => {
    const pieces = decompressedChunks(CompressionCodec.zstd, compress(CompressionCodec.zstd, data), data.length - 1);
    await assert.rejects(async () => {
      for await (const _ of pieces);
    }, (err: Error) => err instanceof DecompressedTooLarge);
  });

  it(`runs at most ${decompressionStreamsMax} zlib streams at once: the next waits for one to end`, async () => {
    const large = compress(CompressionCodec.zstd, Buffer.alloc(8 << 20));
    const small = compress(CompressionCodec.gzip, Buffer.from('small'));
    const ended: string[] = [];
    const drain = async (name: string, input: Buffer, codec: number) => {
      for await (const _ of decompressedChunks(codec, input));
      ended.push(name);
    };
    await Promise.all([...Array.from({ length: decompressionStreamsMax }, (_, i) => drain(`large ${i}`, large, CompressionCodec.zstd)), drain('small', small, CompressionCodec.gzip)]);
    assert.notEqual(ended[0], 'small', `the small one ran only once a large one had ended: ${ended.join(', ')}`);
  });
});
