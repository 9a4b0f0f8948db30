import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferLease, BufferPool } from '../../../src/broker/server/buffer-pool.ts';
import { RequestMemory } from '../../../src/broker/server/request-memory.ts';
import { poolIdleBytesMax } from '../../../src/limits.ts';

describe('BufferPool', () => {
  it('hands out exactly the size asked for', () => {
    const pool = new BufferPool();
    for (const size of [10, 65_536, 65_537, 1_000_000]) assert.equal(pool.take(size).length, size);
  });

  it('reuses a given-back buffer for the next frame of its size class, and only then', () => {
    const pool = new BufferPool();
    const first = pool.take(1_000_000);
    pool.give(first);
    assert.equal(pool.idleBytesHeld, 1 << 20);
    assert.notEqual(pool.take(300_000).buffer, first.buffer, 'a smaller class gets its own buffer');
    const second = pool.take(1_048_576);
    assert.equal(second.buffer, first.buffer);
    assert.equal(pool.idleBytesHeld, 0);
    assert.notEqual(pool.take(1_000_000).buffer, first.buffer, 'a buffer in use is not handed out twice');
  });

  it('keeps no more than poolIdleBytesMax idle', () => {
    const pool = new BufferPool();
    const frames = Array.from({ length: poolIdleBytesMax / (1 << 20) + 5 }, () => pool.take(1 << 20));
    for (const frame of frames) pool.give(frame);
    assert.equal(pool.idleBytesHeld, poolIdleBytesMax);
  });

  it('when full, makes room for a buffer of another capacity by dropping idle ones of the old', () => {
    const pool = new BufferPool();
    const frames = Array.from({ length: poolIdleBytesMax / (1 << 20) }, () => pool.take(1 << 20));
    for (const frame of frames) pool.give(frame);
    const chunk = pool.take(1_100_000);
    pool.give(chunk);
    assert.equal(pool.idleBytesHeld, poolIdleBytesMax, 'two 1 MiB buffers made room for one of 2 MiB');
    assert.equal(pool.take(2 << 20).buffer, chunk.buffer);
    const again = pool.take(1 << 20);
    assert.ok(frames.some((f) => f.buffer === again.buffer), 'the other 1 MiB buffers are still idle');
  });

  it('a lease gives back everything it took at once, and pools only large buffers', () => {
    const pool = new BufferPool();
    const memory = new RequestMemory(2 << 20);
    const lease = new BufferLease(pool, memory);
    const large = [lease.take(1 << 20), lease.take(100_000)];
    const small = lease.take(1000);
    assert.equal(small.length, 1000);
    assert.equal(pool.idleBytesHeld, 0);
    assert.equal(memory.held, (1 << 20) + 100_000 + 1000, 'every byte taken counts into the response memory, pooled or not');
    lease.release();
    assert.equal(memory.held, 0);
    assert.equal(pool.idleBytesHeld, (1 << 20) + (1 << 17), 'the two large buffers, not the small one');
    assert.equal(pool.take(1 << 20).buffer, large[0].buffer);
    lease.release();
    assert.equal(pool.idleBytesHeld, 1 << 17, 'a second release gives nothing back twice');
    assert.equal(memory.held, 0);
  });
});
