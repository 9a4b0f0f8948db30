import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerConnection, type FramePool } from '../../src/net/connection.ts';
import { decodeRequestHeader, encodeResponse } from '../../src/protocol/frames.ts';
import { defaultFetchResponse, defaultFetchableTopicResponse, defaultPartitionData } from '../../src/protocol/generated/fetch-response.ts';
import { defaultFetchRequest } from '../../src/protocol/generated/fetch-request.ts';
import { defaultApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.ts';
import { BufferPool } from '../../src/broker/server/buffer-pool.ts';

const fetchKey = 1;
const fetchVersion = 12;
/** Records of a fetch answer, large enough to arrive in several socket chunks. */
const records = randomBytes(300_000);

/** Writes the answer `frame` to an `apiKey` request (or holds it back to write later). */
type Answer = (socket: net.Socket, apiKey: number, frame: Buffer) => Promise<void>;

/** Sends each answer in two writes some time apart. */
const inTwoWrites: Answer = async (socket, _apiKey, frame) => {
  socket.write(frame.subarray(0, 100));
  await sleep(20);
  socket.write(frame.subarray(100));
};

/** A server that answers ApiVersions, and Fetch with `records`, writing each answer with `answer` (in two writes by default). */
async function withServer(fn: (port: number) => Promise<void>, answer: Answer = inTwoWrites): Promise<void> {
  const server = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', async (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const payload = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + payload.length);
        const { apiKey, apiVersion, correlationId } = decodeRequestHeader(payload);
        const body = apiKey === fetchKey ? fetchAnswer() : { ...defaultApiVersionsResponse(), apiKeys: [{ apiKey: fetchKey, minVersion: 0, maxVersion: fetchVersion }] };
        await answer(socket, apiKey, encodeResponse(apiKey, apiVersion, correlationId, body));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await fn((server.address() as net.AddressInfo).port);
  } finally {
    server.close();
  }
}

function fetchAnswer() {
  return { ...defaultFetchResponse(), responses: [{ ...defaultFetchableTopicResponse(), topic: 't', partitions: [{ ...defaultPartitionData(), records }] }] };
}

/** A BufferPool that counts what it hands out and gets back. */
class CountingPool implements FramePool {
  readonly pool = new BufferPool();
  taken: Buffer[] = [];
  given: Buffer[] = [];
  take(size: number): Buffer {
    const buffer = this.pool.take(size);
    this.taken.push(buffer);
    return buffer;
  }
  give(buffer: Buffer): void {
    this.given.push(buffer);
    this.pool.give(buffer);
  }
}

test('a leased response spanning socket chunks is joined into pooled memory, given back once on release', async () => {
  await withServer(async (port) => {
    const pool = new CountingPool();
    const connection = new BrokerConnection({ host: '127.0.0.1', port, clientId: 'test', requestTimeoutMs: 5000, connectTimeoutMs: 5000, framePool: pool });
    await connection.connect();
    try {
      const plain = await connection.requestAt(fetchKey, fetchVersion, defaultFetchRequest());
      assert.deepEqual(plain.responses[0].partitions[0].records, records);
      assert.equal(pool.taken.length, 0, 'a request that is not leased does not use the pool');

      const { body, release } = await connection.requestLeased(fetchKey, fetchVersion, defaultFetchRequest());
      assert.deepEqual(body.responses[0].partitions[0].records, records);
      assert.equal(pool.taken.length, 1, 'the answer was joined into pooled memory');
      assert.equal(body.responses[0].partitions[0].records.buffer, pool.taken[0].buffer, 'the records are a view of it, not a copy');
      assert.equal(pool.given.length, 0, 'nothing goes back before release');
      release();
      release();
      assert.deepEqual(pool.given, [pool.taken[0]], 'given back exactly once');
    } finally {
      connection.close();
    }
  });
});

/** Holds back three Fetch answers, then writes them in one go but for their first 12 bytes, which go one by one. */
function threeAnswersByteByByte(): Answer {
  const held: Buffer[] = [];
  return async (socket, apiKey, frame) => {
    if (apiKey !== fetchKey) return void socket.write(frame);
    held.push(frame);
    if (held.length < 3) return;
    const all = Buffer.concat(held);
    for (let i = 0; i < 12; i++) {
      socket.write(all.subarray(i, i + 1));
      await sleep(2);
    }
    socket.write(all.subarray(12));
  };
}

for (const reading of ['net chunks', 'one reused buffer (with a frame pool)'] as const) {
  test(`responses whose size and correlation id arrive byte by byte, and several in one write, are each delivered whole: ${reading}`, async () => {
    await withServer(async (port) => {
      const framePool = reading === 'net chunks' ? undefined : new CountingPool();
      const connection = new BrokerConnection({ host: '127.0.0.1', port, clientId: 'test', requestTimeoutMs: 5000, connectTimeoutMs: 5000, framePool });
      try {
        await connection.connect();
        const answers = await Promise.all([1, 2, 3].map(() => connection.requestAt(fetchKey, fetchVersion, defaultFetchRequest())));
        for (const answer of answers) assert.deepEqual(answer.responses[0].partitions[0].records, records);
      } finally {
        connection.close();
      }
    }, threeAnswersByteByByte());
  });
}

test('a plaintext connection answered with a TLS record (a TLS listener\'s alert) fails at once naming security.protocol=SSL', async () => {
  const server = net.createServer((socket) => {
    socket.once('data', () => socket.write(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]))); // TLS 1.2 alert: protocol_version
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const port = (server.address() as net.AddressInfo).port;
    const connection = new BrokerConnection({ host: '127.0.0.1', port, clientId: 't', requestTimeoutMs: 30_000, connectTimeoutMs: 5_000 });
    const started = Date.now();
    await assert.rejects(connection.connect(), /broker 127\.0\.0\.1:\d+ answered with TLS: it is a TLS listener, connect with security\.protocol=SSL/);
    assert.ok(Date.now() - started < 10_000, 'not at the request timeout');
  } finally {
    server.close();
  }
});
