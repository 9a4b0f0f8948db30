import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { crc32c, crc32cImplementation, crc32cPortable } from '../../src/protocol/crc32c.ts';

/** One bit at a time, straight from the definition: reflected polynomial 0x82F63B78. */
function bitwiseCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the published check value and the iSCSI vectors (RFC 3720 B.4)', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
  });

  it('is 0 for no bytes', () => {
    assert.equal(crc32c(Buffer.alloc(0)), 0);
  });

  it('agrees with the bitwise definition for every length and every alignment around the 16-byte stride', () => {
    const data = Buffer.from(Array.from({ length: 104 }, (_, i) => (i * 37 + 11) & 0xff));
    for (let start = 0; start < 4; start++) {
      for (let length = 0; start + length <= data.length; length++) {
        const bytes = data.subarray(start, start + length);
        assert.equal(crc32c(bytes), bitwiseCrc32c(bytes), `start ${start}, length ${length}`);
      }
    }
  });

  it('continues over more bytes when given the previous result as seed', () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog');
    for (const split of [0, 1, 7, 8, 9, 20, data.length]) {
      assert.equal(crc32c(data.subarray(split), crc32c(data.subarray(0, split))), crc32c(data), `split ${split}`);
    }
  });

  it('uses the native addon from node_modules for large inputs, and it agrees with the portable code and the definition', () => {
    assert.match(crc32cImplementation, /^native/, 'the @node-rs/crc32 dependency should load');
    for (const length of [255, 256, 257, 1000, 4096 + 3, 100_000]) {
      const bytes = randomBytes(length + 3).subarray(length % 4); // odd alignments too
      const seed = crc32cPortable(randomBytes(17));
      assert.equal(crc32c(bytes), crc32cPortable(bytes), `length ${bytes.length}`);
      assert.equal(crc32c(bytes, seed), crc32cPortable(bytes, seed), `length ${bytes.length} with a seed`);
    }
    const definition = randomBytes(3000);
    assert.equal(crc32c(definition), bitwiseCrc32c(definition));
  });
});
