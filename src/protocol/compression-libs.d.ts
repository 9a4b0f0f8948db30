/**
 * Types for the two untyped pure-JS compression packages, limited to the
 * functions compression.ts calls.
 */

declare module 'snappyjs' {
  /** Raw snappy (no framing). Returns a Buffer when given a Buffer. */
  export function compress(data: Uint8Array): Uint8Array;
}

declare module 'lz4js' {
  /**
   * Compresses src[sIndex, sIndex + sLength) as one LZ4 block into dst and
   * returns its size, or 0 when it found nothing to compress. `hashTable`
   * (65536 entries) must be zeroed for a block that stands alone.
   */
  export function compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number;
  export function compressBound(n: number): number;
}

declare module 'lz4js/xxh32.js' {
  /** XXH32 of src[index, index + length). */
  export function hash(seed: number, src: Uint8Array, index: number, length: number): number;
}
