import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FramePool, idleBytesMax } from '../../../src/broker/server/frame-pool.ts';

describe('FramePool', () => {
  it('hands out exactly the size asked for', () => {
    const pool = new FramePool();
    for (const size of [10, 65_536, 65_537, 1_000_000]) assert.equal(pool.take(size).length, size);
  });

  it('reuses a given-back buffer for the next frame of its size class, and only then', () => {
    const pool = new FramePool();
    const first = pool.take(1_000_000);
    pool.give(first);
    assert.equal(pool.idleBytesHeld, 1 << 20);
    assert.notEqual(pool.take(300_000).buffer, first.buffer, 'a smaller class gets its own buffer');
    const second = pool.take(1_048_576);
    assert.equal(second.buffer, first.buffer);
    assert.equal(pool.idleBytesHeld, 0);
    assert.notEqual(pool.take(1_000_000).buffer, first.buffer, 'a buffer in use is not handed out twice');
  });

  it('keeps no more than idleBytesMax idle', () => {
    const pool = new FramePool();
    const frames = Array.from({ length: idleBytesMax / (1 << 20) + 5 }, () => pool.take(1 << 20));
    for (const frame of frames) pool.give(frame);
    assert.equal(pool.idleBytesHeld, idleBytesMax);
  });
});
