import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { defaultApiVersionsRequest } from '../../src/protocol/generated/api-versions-request.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

let broker: RunningBroker;
before(async () => {
  broker = await startBroker();
});
after(() => broker?.stop());

// The ranges CLIENTS.md says clients need (librdkafka probes for versions inside them).
const required: Record<number, [number, number]> = {
  0: [0, 8], 1: [0, 12], 2: [0, 5], 3: [0, 9], 18: [0, 3], 19: [0, 7], 20: [0, 6], 21: [0, 2],
  22: [0, 4], 32: [0, 2], 33: [0, 2], 37: [0, 1], 44: [0, 1], 60: [0, 1],
};

test('ApiVersions advertises at least the ranges real clients need, and never Metadata >= 10 or Fetch >= 13', async () => {
  const client = await RawClient.connect(broker.host, broker.port);
  try {
    const response = await client.request(18, 3, defaultApiVersionsRequest());
    assert.equal(response.errorCode, ErrorCode.NONE);
    const ranges = new Map<number, [number, number]>(response.apiKeys.map((a: any) => [a.apiKey, [a.minVersion, a.maxVersion]]));
    for (const [key, [min, max]] of Object.entries(required)) {
      const range = ranges.get(Number(key));
      assert.ok(range, `API ${key} is advertised`);
      assert.ok(range[0] <= min && range[1] >= max, `API ${key}: advertised ${range} covers ${min}-${max}`);
    }
    assert.ok(ranges.get(3)![1] <= 9, 'Metadata stays <= 9 (topic-id trap)');
    assert.ok(ranges.get(1)![1] <= 12, 'Fetch stays <= 12');
  } finally {
    client.close();
  }
});

test('ApiVersions above the supported version answers v0 with UNSUPPORTED_VERSION and the list', async () => {
  const client = await RawClient.connect(broker.host, broker.port);
  try {
    // A v4 request; the response comes back in v0 format.
    const request = Buffer.from([0, 0, 0, 0, 0, 18, 0, 4, 0, 0, 0, 42, 0, 3, 0x61, 0x62, 0x63, 0, 1, 1, 0]);
    request.writeInt32BE(request.length - 4, 0);
    client.write(request);
    const frame = (await client.nextFrame())!;
    assert.equal(frame.readInt32BE(0), 42);
    assert.equal(frame.readInt16BE(4), ErrorCode.UNSUPPORTED_VERSION);
    assert.ok(frame.readInt32BE(6) >= 14, 'the api list follows');
  } finally {
    client.close();
  }
});

test('an unknown API key gets UNSUPPORTED_VERSION and the connection keeps working', async () => {
  const client = await RawClient.connect(broker.host, broker.port);
  try {
    const request = Buffer.from([0, 0, 0, 0, 0x03, 0xe7, 0, 0, 0, 0, 0, 7, 0xff, 0xff]);
    request.writeInt32BE(request.length - 4, 0);
    client.write(request);
    const frame = (await client.nextFrame())!;
    assert.equal(frame.readInt32BE(0), 7);
    assert.equal(frame.readInt16BE(4), ErrorCode.UNSUPPORTED_VERSION);
    const response = await client.request(18, 3, defaultApiVersionsRequest());
    assert.equal(response.errorCode, ErrorCode.NONE);
  } finally {
    client.close();
  }
});
