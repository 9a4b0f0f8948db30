import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Listener } from '../../../src/broker/server/listener.ts';
import { RequestRejected, type Dispatch } from '../../../src/broker/server/connection.ts';
import { silentLogger } from '../../../src/logger.ts';
import { listenerOptions } from './listener-options.ts';


/** A request frame whose payload is a 10-byte header-like prefix: int32 correlation id, then filler. */
function frame(correlationId: number, extra = 6): Buffer {
  const out = Buffer.alloc(4 + 4 + extra);
  out.writeInt32BE(4 + extra, 0);
  out.writeInt32BE(correlationId, 4);
  return out;
}

/** Echoes the correlation id after a delay that is longer for earlier requests. */
const echo: Dispatch = async (payload) => {
  const id = payload.readInt32BE(0);
  if (id === -1) throw new RequestRejected('rejected on purpose');
  if (id === -2) return null;
  await sleep(id % 2 === 0 ? 20 : 1);
  const out = Buffer.alloc(8);
  out.writeInt32BE(4, 0);
  out.writeInt32BE(id, 4);
  return out;
};

async function withListener(fn: (port: number) => Promise<void>): Promise<void> {
  const listener = new Listener(listenerOptions(), echo, silentLogger);
  const { port } = await listener.listen();
  try {
    await fn(port);
  } finally {
    await listener.close();
  }
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

function collect(socket: net.Socket, responses: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error('timed out waiting for responses')), 5000);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= responses * 8) {
        clearTimeout(timer);
        resolve(Array.from({ length: responses }, (_, i) => data.readInt32BE(i * 8 + 4)));
      }
    });
  });
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
  });
}

test('pipelined requests are answered in request order, split across arbitrary chunks', async () => {
  await withListener(async (port) => {
    const socket = await connect(port);
    const ids = Array.from({ length: 12 }, (_, i) => i);
    const bytes = Buffer.concat(ids.map((id) => frame(id)));
    const answers = collect(socket, ids.length);
    for (let i = 0; i < bytes.length; i += 5) socket.write(bytes.subarray(i, i + 5));
    assert.deepEqual(await answers, ids);
    socket.destroy();
  });
});

test('a request answered with null (acks=0) sends nothing and the next one still comes back', async () => {
  await withListener(async (port) => {
    const socket = await connect(port);
    const answers = collect(socket, 1);
    socket.write(Buffer.concat([frame(-2), frame(7)]));
    assert.deepEqual(await answers, [7]);
    socket.destroy();
  });
});

test('oversized, negative and too-small frame lengths close the connection; the listener keeps serving', async () => {
  await withListener(async (port) => {
    for (const size of [0x7fffffff, -1, 1025, 3]) {
      const socket = await connect(port);
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(size, 0);
      socket.write(prefix);
      await closed(socket);
    }
    const socket = await connect(port);
    const answers = collect(socket, 1);
    socket.write(frame(3));
    assert.deepEqual(await answers, [3]);
    socket.destroy();
  });
});

test('a rejected request closes only its own connection', async () => {
  await withListener(async (port) => {
    const bad = await connect(port);
    const good = await connect(port);
    bad.write(frame(-1));
    await closed(bad);
    const answers = collect(good, 1);
    good.write(frame(5));
    assert.deepEqual(await answers, [5]);
    good.destroy();
  });
});

test('listening on a taken port fails with a clear message', async () => {
  await withListener(async (port) => {
    const second = new Listener(listenerOptions({ port }), echo, silentLogger);
    await assert.rejects(second.listen(), /cannot listen on 127\.0\.0\.1:\d+: the address is already in use/);
  });
});
