import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameAssembler, type FrameLimits } from '../../src/protocol/frame-assembler.ts';

const limits: FrameLimits = { peekBytes: 2, minPayloadBytes: 2, maxPayloadBytes: 1000, initialPayloadBytes: 1000 };

function frame(payload: Buffer): Buffer {
  const out = Buffer.alloc(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/** An assembler that records what it was asked and delivered. */
function recording(frameLimits = limits) {
  const seen = { allocated: [] as { size: number; peek: string }[], discarded: [] as number[], delivered: [] as Buffer[], refused: [] as number[] };
  const assembler = new FrameAssembler(frameLimits, {
    admit: () => true,
    allocate: (size, peek) => (seen.allocated.push({ size, peek: peek.toString('hex') }), Buffer.alloc(size, 0xee)),
    discard: (memory) => seen.discarded.push(memory.length),
    deliver: (payload) => seen.delivered.push(payload),
    refuse: (size) => seen.refused.push(size),
  });
  return { assembler, seen };
}

/** Pushes `bytes` through one reused buffer in pieces of `piece` bytes, scribbling over it after each push as a socket's next read would. */
function pushThroughReusedBuffer(assembler: FrameAssembler, bytes: Buffer, piece: number): void {
  const reused = Buffer.alloc(piece);
  for (let at = 0; at < bytes.length; at += piece) {
    const n = bytes.copy(reused, 0, at, Math.min(at + piece, bytes.length));
    assembler.push(reused.subarray(0, n));
    reused.fill(0xaa);
  }
}

test('frames split at every byte, or several in one read, each arrive whole and intact from a reused read buffer', () => {
  const payloads = [Buffer.from('0001hello'), Buffer.from('0002'), Buffer.alloc(900, 7), Buffer.from('00')];
  const stream = Buffer.concat(payloads.map(frame));
  for (const piece of [1, 3, 5, 64, stream.length]) {
    const { assembler, seen } = recording();
    pushThroughReusedBuffer(assembler, stream, piece);
    assert.deepEqual(seen.delivered, payloads, `pieces of ${piece} bytes`);
    assert.deepEqual(seen.allocated, payloads.map((p) => ({ size: p.length, peek: p.subarray(0, 2).toString('hex') })));
    assert.deepEqual(seen.refused, []);
  }
});

test('a size outside the limits is refused once, from its four bytes alone, and nothing after it is taken', () => {
  for (const size of [-1, 1, 1001, 0x7fffffff]) {
    const { assembler, seen } = recording();
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size, 0);
    assembler.push(Buffer.concat([frame(Buffer.from('0001ok')), prefix]));
    assert.deepEqual(seen.refused, [size]);
    assembler.push(frame(Buffer.from('0002later')));
    assert.deepEqual(seen.delivered, [Buffer.from('0001ok')]);
    assert.equal(seen.allocated.length, 1, `nothing allocated for ${size}`);
    assert.deepEqual(seen.refused, [size], 'refused once');
  }
});

test('a payload no longer than the peeked bytes is delivered without waiting for more input', () => {
  const { assembler, seen } = recording({ peekBytes: 4, minPayloadBytes: 4, maxPayloadBytes: 100, initialPayloadBytes: 100 });
  assembler.push(frame(Buffer.from('abcd')));
  assert.deepEqual(seen.delivered, [Buffer.from('abcd')]);
});

test('limits whose minimum is below the peeked bytes are a programming error', () => {
  assert.throws(() => recording({ peekBytes: 4, minPayloadBytes: 2, maxPayloadBytes: 100, initialPayloadBytes: 100 }), RangeError);
});

test('a large payload gets memory as its bytes arrive, doubling, and arrives intact', () => {
  const payload = Buffer.from(Array.from({ length: 900 }, (_, i) => i % 251));
  const { assembler, seen } = recording({ ...limits, initialPayloadBytes: 64 });
  const stream = frame(payload);
  assembler.push(stream.subarray(0, 4 + 10));
  assert.deepEqual(seen.allocated.map((a) => a.size), [64], 'a size alone, and a few bytes, take only the initial memory');
  pushThroughReusedBuffer(assembler, stream.subarray(4 + 10, 4 + 300), 7);
  assert.deepEqual(seen.allocated.map((a) => a.size), [64, 128, 256, 512]);
  assert.deepEqual(seen.discarded, [64, 128, 256]);
  assert.ok(assembler.inFrame);
  pushThroughReusedBuffer(assembler, stream.subarray(4 + 300), 100);
  assert.deepEqual(seen.allocated.map((a) => a.size), [64, 128, 256, 512, 900], 'the last allocation is the payload size');
  assert.deepEqual(seen.delivered, [payload]);
  assert.ok(!assembler.inFrame);
});

test('a frame the owner does not admit (from its size and first bytes) is refused, and nothing after it taken', () => {
  const delivered: Buffer[] = [];
  const asked: number[] = [];
  const assembler = new FrameAssembler(limits, {
    admit: (size, peek) => (asked.push(size), peek.toString() !== 'no'),
    allocate: (size) => Buffer.alloc(size),
    discard: () => {},
    deliver: (payload) => delivered.push(payload),
    refuse: () => assert.fail('the size was within the limits'),
  });
  assembler.push(Buffer.concat([frame(Buffer.from('0001ok')), frame(Buffer.from('no, thanks')), frame(Buffer.from('0002later'))]));
  assert.deepEqual(delivered, [Buffer.from('0001ok')]);
  assert.deepEqual(asked, [6, 10]);
});
