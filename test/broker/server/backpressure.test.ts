/**
 * A connection whose requests wait (here: a dispatch held until the test
 * lets go) stops reading its socket once `connectionQueuedBytesMax` bytes of complete
 * frames wait, well before `maxQueuedFrames` of them, and reads the rest
 * once they are answered: a client sending faster than the broker answers
 * is held back by TCP, not by broker memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, type Dispatch } from '../../../src/broker/server/connection.ts';
import { connectionQueuedBytesMax } from '../../../src/limits.ts';
import { BufferPool } from '../../../src/broker/server/buffer-pool.ts';
import { RequestMemory } from '../../../src/broker/server/request-memory.ts';
import { createReadBufferServer } from '../../../src/broker/server/read-buffer-server.ts';
import { silentLogger } from '../../../src/logger.ts';

const frameBytes = 1 << 20;
const frames = 40;
const limits = { maxFrameBytes: 2 * frameBytes, firstFrameBytesMax: 2 * frameBytes, servesApi: () => true, maxQueuedFrames: 500, idleTimeoutMs: 60_000, responseMemory: new RequestMemory(-1) };

/** A Metadata-keyed request (handled one at a time) whose frame is `frameBytes` long in all. */
function request(): Buffer {
  const out = Buffer.alloc(frameBytes);
  out.writeInt32BE(frameBytes - 4, 0);
  out.writeInt16BE(3, 4);
  return out;
}

async function settled(value: () => number): Promise<number> {
  for (let last = -1; ; await sleep(200)) {
    const now = value();
    if (now === last) return now;
    last = now;
  }
}

test('a connection stops reading once connectionQueuedBytesMax bytes of requests wait, and reads on once they are answered', async (t) => {
  let dispatched = 0;
  let letGo: () => void = () => {};
  const held = new Promise<void>((resolve) => (letGo = resolve));
  const dispatch: Dispatch = async () => {
    dispatched++;
    await held;
    return null;
  };
  let received = 0;
  const server = createReadBufferServer(Buffer.alloc(128 * 1024), (socket) => {
    const connection = new Connection(1, socket, dispatch, limits, new BufferPool(), new RequestMemory(-1), silentLogger);
    return (bytes) => {
      received += bytes.length;
      connection.receive(bytes);
    };
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  t.after(() => {
    client.destroy();
    server.close();
  });
  await once(client, 'connect');
  for (let i = 0; i < frames; i++) client.write(request());

  const readWhileHeld = await settled(() => received);
  // One frame dispatched, connectionQueuedBytesMax waiting, one being assembled, and the rest of one socket read.
  const bound = frameBytes + connectionQueuedBytesMax + frameBytes + 128 * 1024;
  assert.ok(readWhileHeld <= bound, `read ${readWhileHeld} bytes while nothing was answered, expected at most ${bound}`);
  assert.equal(dispatched, 1);

  letGo();
  for (const started = Date.now(); dispatched < frames; await sleep(20)) {
    if (Date.now() - started > 10_000) assert.fail(`only ${dispatched} of ${frames} requests were read once answering resumed`);
  }
  assert.equal(received, frames * frameBytes);
});
