/**
 * Splits a byte stream (stdin) into lines at '\n' without decoding them, so
 * values that are not UTF-8 pass through unchanged. The '\n' is dropped; a
 * last line without one is still a line; no empty line follows a final
 * '\n'. Yields the lines of each chunk as one array, so a caller can batch.
 */
export async function* byteLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer[]> {
  let partial: Buffer[] = [];
  for await (const data of stream) {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
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
