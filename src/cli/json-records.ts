/**
 * The JSON Lines record format shared by `kb consume --json` (writes it) and
 * `kb produce --json` (reads it), one object per line with stable keys:
 *
 *   {"topic":"t","partition":0,"offset":42,"timestamp":1700000000000,
 *    "key":"k","value":"v","headers":[{"key":"h","value":"x"}]}
 *
 * Bytes (key, value, header values) are a JSON string when they are valid
 * UTF-8, otherwise {"base64":"..."}; a null key/value/header value is null.
 * Header keys are strings (Kafka defines them so). offset and timestamp are
 * JSON numbers (ms since the epoch; a timestamp of -1 is Kafka's "none",
 * and the reader refuses any other negative one). Lossless: decoding an encoded record
 * gives back the same bytes. The reader ignores topic and offset, and takes
 * partition and timestamp when present; every other key is optional
 * (a missing key/value is null, missing headers are none).
 */
import type { ConsumedRecord } from '../client/consumer.ts';
import type { ProducerRecord } from '../client/producer.ts';

export type JsonBytes = string | { base64: string } | null;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeBytes(bytes: Buffer | null): JsonBytes {
  if (bytes === null) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return { base64: bytes.toString('base64') };
  }
}

export function decodeBytes(value: unknown, where: string): Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'object' && typeof (value as { base64?: unknown }).base64 === 'string') {
    return Buffer.from((value as { base64: string }).base64, 'base64');
  }
  throw new Error(`${where} must be a string, {"base64": "..."} or null`);
}

export interface JsonRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: JsonBytes;
  value: JsonBytes;
  headers: { key: string; value: JsonBytes }[];
}

/** One record as the object of its JSON line (kb console serves these). */
export function recordJson(record: ConsumedRecord): JsonRecord {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: Number(record.timestamp),
    key: encodeBytes(record.key),
    value: encodeBytes(record.value),
    headers: record.headers.map((h) => ({ key: h.key, value: encodeBytes(h.value) })),
  };
}

/** One record as a JSON line (no trailing newline). */
export function recordToJson(record: ConsumedRecord): string {
  return JSON.stringify(recordJson(record));
}

function optionalInteger(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Error(`"${name}" must be an integer`);
  return value;
}

/** Parses one JSON line into a record to produce; throws an Error naming the problem. */
export function recordFromJson(line: string): ProducerRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
  const json = parsed as Record<string, unknown>;
  const headers = json.headers ?? [];
  if (!Array.isArray(headers)) throw new Error('"headers" must be an array of {"key", "value"}');
  const record: ProducerRecord = {
    key: decodeBytes(json.key, '"key"'),
    value: decodeBytes(json.value, '"value"'),
    headers: headers.map((h: unknown, i) => {
      const header = h as { key?: unknown; value?: unknown } | null;
      if (typeof header?.key !== 'string') throw new Error(`headers[${i}].key must be a string`);
      return { key: header.key, value: decodeBytes(header.value, `headers[${i}].value`) };
    }),
  };
  const partition = optionalInteger(json.partition, 'partition');
  const timestamp = optionalInteger(json.timestamp, 'timestamp');
  if (partition !== undefined) record.partition = partition;
  // -1 is Kafka's "no timestamp" (what consume --json writes for such a record); any other negative is a mistake.
  if (timestamp !== undefined && timestamp < -1) throw new Error('"timestamp" must be milliseconds since the epoch (>= 0), or -1 for none');
  if (timestamp !== undefined) record.timestamp = BigInt(timestamp);
  return record;
}
