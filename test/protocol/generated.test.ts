/**
 * The generated codecs, for every message definition and every valid
 * version: random values (seeded; KB_TEST_SEED overrides) round-trip to the
 * value normalised for that version and re-encode to identical bytes, and
 * random or mutated bytes make the decoders throw ProtocolError and nothing
 * else. The message model comes from the definitions in
 * ../shared/kafka-protocol/messages and coordinator-records (absent: fail,
 * or skip with KB_SKIP_SHARED=1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { contains, loadMessageSpecs, messagesDir } from '../../scripts/gen-protocol.ts';
import type { FieldType, MessageSpec, StructSpec } from '../../scripts/gen-protocol.ts';
import { ProtocolError, Reader, Writer } from '../../src/protocol/primitives.ts';
import { ApiKeys, apis } from '../../src/protocol/generated/index.ts';
import type { ApiCodec } from '../../src/protocol/generated/index.ts';

const sharedMissing = !existsSync(messagesDir);
const skip = sharedMissing && process.env.KB_SKIP_SHARED === '1' ? `${messagesDir} is absent (KB_SKIP_SHARED=1)` : false;
const seed = Number(process.env.KB_TEST_SEED ?? 0x5eed1234) >>> 0 || 1;
const valuesPerVersion = 10;
const mutationsPerVersion = 300;

type Encode = (w: Writer, v: unknown, version: number) => void;
type Decode = (r: Reader, version: number) => unknown;
type Module = Record<string, unknown>;

/** xorshift32: small, fast and reproducible from a seed. */
class Random {
  private state: number;

  constructor(seedValue: number) {
    this.state = seedValue >>> 0 || 1;
  }

  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  below(n: number): number {
    return this.next() % n;
  }

  chance(oneIn: number): boolean {
    return this.below(oneIn) === 0;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.below(256);
    return out;
  }
}

const textPieces = ['a', 'Z', '0', '-', '.', '_', ' ', 'é', 'ß', '✓', '中', '𝄞', '🙂', '\u0000'];

function randomInt(rnd: Random, bits: number, signed: boolean): number {
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  if (rnd.chance(3)) return rnd.pick([min, max, 0, -1 < min ? 0 : -1]);
  return min + (rnd.next() * 2 ** 32 + rnd.next()) % (max - min + 1);
}

function randomPrimitive(rnd: Random, name: string): unknown {
  switch (name) {
    case 'int8': return randomInt(rnd, 8, true);
    case 'int16': return randomInt(rnd, 16, true);
    case 'int32': return randomInt(rnd, 32, true);
    case 'uint16': return randomInt(rnd, 16, false);
    case 'uint32': return randomInt(rnd, 32, false);
    case 'int64': return rnd.chance(4) ? rnd.pick([-(2n ** 63n), 2n ** 63n - 1n, -1n, 0n]) : rnd.bytes(8).readBigInt64BE();
    case 'float64': return rnd.pick([0, -0, 1.5, -2.25, 1e300, Number.MIN_VALUE, Infinity, rnd.next() / 7]);
    case 'bool': return rnd.chance(2);
    case 'string': return Array.from({ length: rnd.below(9) }, () => rnd.pick(textPieces)).join('');
    case 'bytes': return rnd.bytes(rnd.below(9));
    case 'records': return rnd.bytes(rnd.below(40));
    case 'uuid': return rnd.chance(4) ? Buffer.alloc(16) : rnd.bytes(16);
    default: throw new Error(`no generator for ${name}`);
  }
}

/** A random value to encode, and what decoding it must give back at `version`. */
interface Sample {
  value: unknown;
  expected: unknown;
}

function randomOf(rnd: Random, mod: Module, type: FieldType, version: number, nullable: boolean): Sample {
  if (nullable && rnd.chance(5)) return { value: null, expected: null };
  if (type.kind === 'primitive') {
    const value = randomPrimitive(rnd, type.name);
    return { value, expected: value };
  }
  if (type.kind === 'struct') return randomStruct(rnd, mod, type.struct, version);
  const samples = Array.from({ length: rnd.below(4) }, () => randomOf(rnd, mod, type.element, version, false));
  return { value: samples.map((s) => s.value), expected: samples.map((s) => s.expected) };
}

/** Every field gets a random value; fields absent from `version` are expected back as their defaults. */
function randomStruct(rnd: Random, mod: Module, struct: StructSpec, version: number): Sample {
  const defaults = (mod[`default${struct.tsName}`] as () => Record<string, unknown>)();
  const value: Record<string, unknown> = {};
  const expected: Record<string, unknown> = {};
  for (const field of struct.fields) {
    const present = contains(field.versions, version);
    const nullable = present ? contains(field.nullable, version) : field.typeNullable;
    const sample = randomOf(rnd, mod, field.type, version, nullable);
    value[field.property] = sample.value;
    expected[field.property] = present ? sample.expected : defaults[field.property];
  }
  return { value, expected };
}

interface Codec {
  message: MessageSpec;
  mod: Module;
  encode: Encode;
  decode: Decode;
}

async function loadCodecs(): Promise<Codec[]> {
  return Promise.all(
    loadMessageSpecs().map(async (message) => {
      const mod = (await import(`../../src/protocol/generated/${message.module}.ts`)) as Module;
      const name = message.root.tsName;
      return { message, mod, encode: mod[`encode${name}`] as Encode, decode: mod[`decode${name}`] as Decode };
    }),
  );
}

function versionsOf(message: MessageSpec): number[] {
  const out: number[] = [];
  for (let v = message.validVersions.min; v <= message.validVersions.max; v++) out.push(v);
  return out;
}

function encodeToBuffer(encode: Encode, value: unknown, version: number): Buffer {
  const w = new Writer(16);
  encode(w, value, version);
  return Buffer.from(w.finish());
}

test('every message round-trips at every valid version', { skip }, async () => {
  assert.ok(!sharedMissing, `${messagesDir} not found: the codec tests need the Kafka message definitions (set KB_SKIP_SHARED=1 to skip)`);
  const rnd = new Random(seed);
  let checked = 0;
  for (const { message, mod, encode, decode } of await loadCodecs()) {
    for (const version of versionsOf(message)) {
      for (let i = 0; i < valuesPerVersion; i++) {
        const where = `${message.name} v${version} (seed ${seed})`;
        const { value, expected } = randomStruct(rnd, mod, message.root, version);
        const bytes = encodeToBuffer(encode, value, version);
        const r = new Reader(bytes);
        const decoded = decode(r, version);
        assert.equal(r.remaining, 0, `${where}: decoding left ${r.remaining} bytes`);
        assert.deepStrictEqual(decoded, expected, where);
        assert.deepStrictEqual(encodeToBuffer(encode, decoded, version), bytes, `${where}: re-encoding differs`);
        checked++;
      }
    }
  }
  assert.equal(checked, 693 * valuesPerVersion);
});

test('defaults encode and decode back to themselves at every valid version', { skip }, async () => {
  assert.ok(!sharedMissing, `${messagesDir} not found (set KB_SKIP_SHARED=1 to skip)`);
  for (const { message, mod, encode, decode } of await loadCodecs()) {
    const fresh = mod[`default${message.root.tsName}`] as () => unknown;
    for (const version of versionsOf(message)) {
      const decoded = decode(new Reader(encodeToBuffer(encode, fresh(), version)), version);
      assert.deepStrictEqual(decoded, fresh(), `${message.name} v${version}`);
    }
  }
});

/** Ways to damage a valid encoding: flip bits, cut it short, plant huge or negative lengths, insert junk. */
function mutate(rnd: Random, bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  switch (rnd.below(5)) {
    case 0:
      for (let i = rnd.below(3); i >= 0 && out.length > 0; i--) out[rnd.below(out.length)] ^= 1 << rnd.below(8);
      return out;
    case 1:
      return out.subarray(0, rnd.below(out.length + 1));
    case 2: {
      const planted = rnd.pick([
        [0x7f, 0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0xff], [0x80, 0x00, 0x00, 0x00], [0xff, 0xfe],
        [0xff, 0xff, 0xff, 0xff, 0x0f], [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0x00], [0x01],
      ]);
      const at = rnd.below(out.length + 1);
      return Buffer.concat([out.subarray(0, at), Buffer.from(planted), out.subarray(Math.min(out.length, at + planted.length))]);
    }
    case 3: {
      const at = rnd.below(out.length + 1);
      return Buffer.concat([out.subarray(0, at), rnd.bytes(1 + rnd.below(6)), out.subarray(at)]);
    }
    default:
      return rnd.bytes(rnd.below(64));
  }
}

test('random and mutated bytes make every decoder throw ProtocolError and nothing else', { skip }, async () => {
  assert.ok(!sharedMissing, `${messagesDir} not found (set KB_SKIP_SHARED=1 to skip)`);
  const rnd = new Random(seed ^ 0x9e3779b9);
  let rejected = 0;
  let decoded = 0;
  for (const { message, mod, encode, decode } of await loadCodecs()) {
    for (const version of versionsOf(message)) {
      const valid = [0, 1].map(() => encodeToBuffer(encode, randomStruct(rnd, mod, message.root, version).value, version));
      for (let i = 0; i < mutationsPerVersion; i++) {
        const input = mutate(rnd, rnd.pick(valid));
        try {
          decode(new Reader(input), version);
          decoded++;
        } catch (err) {
          if (!(err instanceof ProtocolError)) {
            assert.fail(`${message.name} v${version} threw ${String(err)} on ${input.toString('hex')} (seed ${seed})`);
          }
          rejected++;
        }
      }
    }
  }
  assert.ok(rejected > decoded / 4, `only ${rejected} of ${rejected + decoded} damaged inputs were rejected`);
});

test('the index holds every request/response pair with its generated codecs', { skip }, async () => {
  assert.ok(!sharedMissing, `${messagesDir} not found (set KB_SKIP_SHARED=1 to skip)`);
  const codecs = await loadCodecs();
  const requests = codecs.filter((c) => c.message.type === 'request');
  assert.deepEqual(Object.keys(apis).map(Number).sort((a, b) => a - b), requests.map((c) => c.message.apiKey).sort((a, b) => a! - b!));
  for (const { message, encode, decode } of requests) {
    const api = (apis as Record<number, ApiCodec>)[message.apiKey!];
    assert.equal(api.request.encode, encode);
    assert.equal(api.request.decode, decode);
    assert.deepEqual(api.validVersions, [message.validVersions.min, message.validVersions.max]);
    assert.equal(api.flexibleMin, message.flexibleVersions?.min ?? null);
    assert.equal(`${api.name}Request`, message.name);
  }
});

test('ApiKeys names every API key by its API\'s name', () => {
  assert.deepEqual(
    Object.entries(ApiKeys),
    Object.values(apis as Record<number, ApiCodec>).map((api) => [api.name, api.apiKey]),
  );
  assert.equal(ApiKeys.Produce, 0);
  assert.equal(ApiKeys.ApiVersions, 18);
});
