import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, RequestRejected, type Dispatch } from '../../../src/broker/server/connection.ts';
import { BufferPool } from '../../../src/broker/server/buffer-pool.ts';
import { RequestMemory } from '../../../src/broker/server/request-memory.ts';
import { createReadBufferServer } from '../../../src/broker/server/read-buffer-server.ts';
import { silentLogger } from '../../../src/logger.ts';

const limits = { maxFrameBytes: 1024, firstFrameBytesMax: 1024, servesApi: () => true, maxQueuedFrames: 4, idleTimeoutMs: 60_000, responseMemory: new RequestMemory(-1) };
/** Larger than loopback socket buffers, so the write cannot finish while the client does not read. */
const responseBytes = 16 << 20;

/** Request payload: int16 API key 3 (Metadata: handled one at a time), int16 kind (0 answer, 1 answer nothing, 2 reject), then filler. */
function request(kind: number): Buffer {
  const out = Buffer.alloc(4 + 10);
  out.writeInt32BE(10, 0);
  out.writeInt16BE(3, 4);
  out.writeInt16BE(kind, 6);
  return out;
}

/** Every request takes `responseBytes` from the lease; kind 0 answers with them (a frame of 0x5a bytes). */
let dispatched = 0;
const dispatch: Dispatch = async (payload, _connection, allocate) => {
  dispatched++;
  const memory = allocate(responseBytes);
  const kind = payload.readInt16BE(2);
  if (kind === 2) throw new RequestRejected('rejected on purpose');
  if (kind === 1) return null;
  memory.fill(0x5a);
  memory.writeInt32BE(responseBytes - 4, 0);
  return [memory];
};

/** A Connection on the server side of a loopback socket pair, with the client socket and the pool. */
async function connected(fn: (client: net.Socket, pool: BufferPool) => Promise<void>): Promise<void> {
  const pool = new BufferPool();
  const server = createReadBufferServer(Buffer.alloc(64 * 1024), (socket) => {
    const connection = new Connection(1, socket, dispatch, limits, pool, new RequestMemory(-1), silentLogger);
    return (bytes) => connection.receive(bytes);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  try {
    await once(client, 'connect');
    await fn(client, pool);
  } finally {
    client.destroy();
    server.close();
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !condition(); await sleep(10)) {
    if (Date.now() - started > 5000) throw new Error(`timed out waiting until ${what}`);
  }
}

test('memory a response refers to goes back to the pool only after the socket has written it', async () => {
  await connected(async (client, pool) => {
    client.pause();
    client.write(request(0));
    await sleep(300);
    assert.equal(pool.idleBytesHeld, 0, 'the response is still unwritten, so its memory stays leased');
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    client.resume();
    await until(() => received.reduce((n, c) => n + c.length, 0) >= responseBytes, 'the whole response arrived');
    const response = Buffer.concat(received);
    assert.equal(response.length, responseBytes);
    assert.equal(response.readInt32BE(0), responseBytes - 4);
    assert.ok(response.subarray(4).every((b) => b === 0x5a), 'the response bytes arrive intact');
    await until(() => pool.idleBytesHeld === responseBytes, 'the lease is released');
  });
});

test('a request answered with nothing or rejected gives its memory back at once', async () => {
  await connected(async (client, pool) => {
    client.write(request(1));
    await until(() => pool.idleBytesHeld === responseBytes, 'the unanswered request released its lease');
    client.write(request(2));
    await once(client, 'close');
    assert.equal(pool.idleBytesHeld, responseBytes, 'the rejected request reused the idle buffer and gave it back');
  });
});

test('a client that does not read its responses has one of them held and its next requests wait unhandled', async () => {
  await connected(async (client) => {
    const before = dispatched;
    client.pause();
    for (let i = 0; i < 4; i++) client.write(request(0));
    await until(() => dispatched > before, 'the first request is handled');
    await sleep(500);
    assert.equal(dispatched - before, 1, 'only one response waits for the client to read');
    let received = 0;
    client.on('data', (chunk: Buffer) => (received += chunk.length));
    client.resume();
    await until(() => received >= 4 * responseBytes, 'every response arrived once the client reads');
    assert.equal(dispatched - before, 4);
  });
});
