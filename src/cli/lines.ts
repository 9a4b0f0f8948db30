/**
 * Splits a byte stream (stdin) into lines at '\n' (or another one-byte
 * `delimiter`, as kcat -D) without decoding them, so values that are not
 * UTF-8 pass through unchanged. The delimiter is dropped; a last line
 * without one is still a line; no empty line follows a final delimiter.
 * Yields the lines of each chunk as one array, so a caller can batch.
 */
export async function* byteLines(stream: AsyncIterable<Buffer | string>, delimiter = 10): AsyncGenerator<Buffer[]> {
  let partial: Buffer[] = [];
  for await (const data of stream) {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(delimiter); nl >= 0; nl = chunk.indexOf(delimiter, start)) {
      const piece = chunk.subarray(start, nl);
      lines.push(partial.length > 0 ? Buffer.concat([...partial, piece]) : piece);
      partial = [];
      start = nl + 1;
    }
    if (start < chunk.length) partial.push(chunk.subarray(start));
    if (lines.length > 0) yield lines;
  }
  if (partial.length > 0) yield [Buffer.concat(partial)];
}
