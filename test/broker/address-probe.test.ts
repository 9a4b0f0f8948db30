import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { refusesConnections } from '../../src/broker/address-probe.ts';

test('an address refuses connections once nothing listens there, and not while something does', async (t) => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  assert.equal(await refusesConnections('127.0.0.1', port, 2_000), false, 'a listener accepts');
  await new Promise((resolve) => server.close(resolve));
  assert.equal(await refusesConnections('127.0.0.1', port, 2_000), true, 'nothing listens: refused');
});
