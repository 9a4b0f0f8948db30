/**
 * `kb consume -f` format strings (kcat style): %t topic, %p partition,
 * %o offset, %k key, %v value, %h headers (k=v joined by ','), %d timestamp
 * in ms, %% a literal '%'; kcat's own letters too: %s value, %T
 * timestamp, %S and %K the value's and key's length in bytes (-1 for null),
 * %R the value's length as a 4-byte big-endian integer (for framing);
 * escapes \n \t \r \\ . Keys, values and header
 * values are written as their raw bytes (a null is written as nothing).
 * rpk-style modifiers re-encode a key or value (%k %v %s): `{json}` as a
 * JSON value the way --json writes it (a string, {"base64":"..."} when not
 * UTF-8, null), `{hex}` and `{base64}` (a null as nothing).
 * `compileFormat` checks the string once and returns a function from a
 * record to the bytes to print; an unknown directive, modifier or escape
 * throws.
 */
import type { ConsumedRecord } from '../client/consumer.ts';
import { encodeBytes } from './json-records.ts';

export type RecordFormatter = (record: ConsumedRecord) => Buffer;

/** Value only, one per line: the default output of kb consume. */
export const defaultFormat = '%v\\n';

const fields: Record<string, (r: ConsumedRecord) => Buffer | string> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  k: (r) => r.key ?? '',
  v: (r) => r.value ?? '',
  h: (r) => Buffer.concat(r.headers.flatMap((h, i) => [Buffer.from(`${i > 0 ? ',' : ''}${h.key}=`), h.value ?? Buffer.alloc(0)])),
  d: (r) => String(r.timestamp),
  s: (r) => r.value ?? '',
  T: (r) => String(r.timestamp),
  S: (r) => String(r.value?.length ?? -1),
  K: (r) => String(r.key?.length ?? -1),
  R: (r) => {
    const length = Buffer.alloc(4);
    length.writeInt32BE(r.value?.length ?? -1);
    return length;
  },
};

/** The fields that are bytes (or null), and what each modifier makes of them. */
const byteFields: Record<string, (r: ConsumedRecord) => Buffer | null> = { k: (r) => r.key, v: (r) => r.value, s: (r) => r.value };
const modifiers: Record<string, (bytes: Buffer | null) => string> = {
  json: (bytes) => JSON.stringify(encodeBytes(bytes)),
  hex: (bytes) => bytes?.toString('hex') ?? '',
  base64: (bytes) => bytes?.toString('base64') ?? '',
};

const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\' };

/** Replaces \n \t \r \\ in a flag value (format strings, key delimiters); throws on other escapes. */
export function unescape(text: string): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (!(c in escapes)) throw new Error(`unknown escape "\\${c}" (use \\n, \\t, \\r or \\\\)`);
    return escapes[c];
  });
}

export function compileFormat(format: string): RecordFormatter {
  const parts: (Buffer | ((r: ConsumedRecord) => Buffer | string))[] = [];
  for (const piece of format.split(/(%%|%.?(?:\{[^}]*\})?)/)) {
    if (piece === '') continue;
    if (!piece.startsWith('%')) parts.push(Buffer.from(unescape(piece)));
    else if (piece === '%%') parts.push(Buffer.from('%'));
    else if (piece.includes('{')) parts.push(modified(piece));
    else if (fields[piece.slice(1)]) parts.push(fields[piece.slice(1)]);
    else throw new Error(`unknown directive "${piece}" (use %t %p %o %k %v %h %d %%, or kcat's %s %S %K %R %T)`);
  }
  const bytes = (x: Buffer | string) => (typeof x === 'string' ? Buffer.from(x) : x);
  return (record) => Buffer.concat(parts.map((part) => (Buffer.isBuffer(part) ? part : bytes(part(record)))));
}

/** A directive with a modifier, e.g. %v{json}. */
function modified(piece: string): (r: ConsumedRecord) => string {
  const [, letter, name] = /^%(.)\{(.*)\}$/.exec(piece)!;
  const field = byteFields[letter];
  if (!field) throw new Error(`"${piece}": modifiers apply to %k, %v and %s only`);
  const modifier = modifiers[name];
  if (!modifier) throw new Error(`unknown modifier "{${name}}" in "${piece}" (use {json}, {hex} or {base64})`);
  return (r) => modifier(field(r));
}
