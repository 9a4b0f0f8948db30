/**
 * Request/response framing: header versions per API version, request
 * headers decoded from bytes laid out as in the Kafka protocol guide, the
 * ApiVersions v0 response header, and client/broker round trips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeRequestBody,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../src/protocol/frames.ts';
import { ProtocolError, Writer } from '../../src/protocol/primitives.ts';
import { defaultApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.ts';
import type { ApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.ts';
import { defaultMetadataRequest } from '../../src/protocol/generated/metadata-request.ts';
import type { MetadataRequest } from '../../src/protocol/generated/metadata-request.ts';
import { defaultMetadataResponse, defaultMetadataResponseBroker } from '../../src/protocol/generated/metadata-response.ts';
import { defaultPartitionProduceData, defaultProduceRequest, defaultTopicProduceData } from '../../src/protocol/generated/produce-request.ts';

const produce = 0;
const fetch = 1;
const metadata = 3;
const controlledShutdown = 7;
const apiVersions = 18;
const unsupportedVersion = 35;

/** Payload bytes (no size prefix) written by `build`. */
function payload(build: (w: Writer) => void): Buffer {
  const w = new Writer();
  build(w);
  return Buffer.from(w.finish());
}

test('header versions follow flexibility, with the ControlledShutdown and ApiVersions exceptions', () => {
  assert.equal(requestHeaderVersion(produce, 8), 1);
  assert.equal(requestHeaderVersion(produce, 9), 2);
  assert.equal(requestHeaderVersion(fetch, 12), 2);
  assert.equal(requestHeaderVersion(apiVersions, 3), 2);
  assert.equal(requestHeaderVersion(apiVersions, 2), 1);
  assert.equal(requestHeaderVersion(controlledShutdown, 0), 0);
  assert.equal(requestHeaderVersion(controlledShutdown, 1), 1);
  assert.equal(requestHeaderVersion(999, 7), 1);
  assert.equal(responseHeaderVersion(produce, 8), 0);
  assert.equal(responseHeaderVersion(metadata, 9), 1);
  assert.equal(responseHeaderVersion(apiVersions, 3), 0);
  assert.equal(responseHeaderVersion(apiVersions, 4), 0);
  assert.equal(responseHeaderVersion(999, 7), 0);
});

test('request header v1: api key, version, correlation id, client id', () => {
  const bytes = payload((w) => w.int16(metadata).int16(4).int32(42).string('my-client').int32(0));
  assert.deepEqual(decodeRequestHeader(bytes), {
    apiKey: metadata,
    apiVersion: 4,
    correlationId: 42,
    clientId: 'my-client',
    bodyOffset: 2 + 2 + 4 + 2 + 9,
  });
});

test('request header v2 keeps client_id a classic int16 string, then tagged fields (unknown ones skipped)', () => {
  const bytes = payload((w) =>
    w.int16(metadata).int16(9).int32(7).string('cli').uvarint(1).uvarint(3).uvarint(2).raw(Buffer.from([0xaa, 0xbb])),
  );
  const header = decodeRequestHeader(bytes);
  assert.deepEqual(header, { apiKey: metadata, apiVersion: 9, correlationId: 7, clientId: 'cli', bodyOffset: bytes.length });
  const nullClient = payload((w) => w.int16(apiVersions).int16(3).int32(1).int16(-1).uvarint(0));
  assert.equal(decodeRequestHeader(nullClient).clientId, null);
  assert.equal(decodeRequestHeader(nullClient).bodyOffset, nullClient.length);
});

test('request header v0 (ControlledShutdown v0) has no client id', () => {
  const bytes = payload((w) => w.int16(controlledShutdown).int16(0).int32(5).int32(1));
  assert.deepEqual(decodeRequestHeader(bytes), { apiKey: controlledShutdown, apiVersion: 0, correlationId: 5, clientId: null, bodyOffset: 8 });
});

test('headers of unknown API keys and versions decode, so the broker can answer them', () => {
  const bytes = payload((w) => w.int16(12345).int16(99).int32(3).string('x'));
  assert.deepEqual(decodeRequestHeader(bytes), { apiKey: 12345, apiVersion: 99, correlationId: 3, clientId: 'x', bodyOffset: bytes.length });
  const tooNew = payload((w) => w.int16(apiVersions).int16(9).int32(3).string('x').uvarint(0));
  assert.equal(decodeRequestHeader(tooNew).bodyOffset, tooNew.length, 'flexible from v3 on, even past the known versions');
  assert.throws(() => decodeRequestBody(12345, 0, bytes, bytes.length), ProtocolError);
  assert.throws(() => decodeRequestBody(apiVersions, 9, tooNew, tooNew.length), ProtocolError);
});

test('a truncated request header throws ProtocolError at every length', () => {
  const bytes = payload((w) => w.int16(metadata).int16(9).int32(7).string('cli').uvarint(0));
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => decodeRequestHeader(bytes.subarray(0, n)), ProtocolError, `length ${n}`);
  }
});

test('a Metadata v0 request laid out per the protocol guide decodes', () => {
  // Metadata Request (Version: 0) => [topics]; topics => name STRING
  const bytes = Buffer.from([
    0x00, 0x03, 0x00, 0x00, // api key 3, version 0
    0x00, 0x00, 0x00, 0x2a, // correlation id 42
    0x00, 0x04, 0x6b, 0x63, 0x61, 0x74, // client id "kcat"
    0x00, 0x00, 0x00, 0x02, // 2 topics
    0x00, 0x03, 0x66, 0x6f, 0x6f, // "foo"
    0x00, 0x03, 0x62, 0x61, 0x72, // "bar"
  ]);
  const header = decodeRequestHeader(bytes);
  assert.deepEqual(header, { apiKey: 3, apiVersion: 0, correlationId: 42, clientId: 'kcat', bodyOffset: 14 });
  const body = decodeRequestBody(3, 0, bytes, header.bodyOffset) as MetadataRequest;
  const expected = defaultMetadataRequest();
  expected.topics = ['foo', 'bar'].map((name) => ({ topicId: Buffer.alloc(16), name }));
  assert.deepEqual(body, expected);
  assert.equal(body.allowAutoTopicCreation, true, 'fields absent in v0 take their JSON default');
});

test('ApiVersions responses use header v0 even at v3: no tag buffer after the correlation id', () => {
  const body: ApiVersionsResponse = { ...defaultApiVersionsResponse(), apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }] };
  const frame = encodeResponse(apiVersions, 3, 99, body);
  assert.equal(frame.readInt32BE(0), frame.length - 4);
  assert.equal(frame.readInt32BE(4), 99);
  assert.equal(frame.readInt16BE(8), 0, 'error code follows the correlation id directly');
  assert.equal(frame[10], 2, 'compact array of one ApiVersion');
  assert.deepEqual(decodeResponse(apiVersions, 3, frame.subarray(4)), { correlationId: 99, body });
});

test('flexible responses other than ApiVersions use header v1 (tag buffer after the correlation id)', () => {
  const body = { ...defaultMetadataResponse(), brokers: [{ ...defaultMetadataResponseBroker(), nodeId: 1, host: 'h', port: 9092 }] };
  const frame = encodeResponse(metadata, 9, 5, body);
  assert.equal(frame.readInt32BE(4), 5);
  assert.equal(frame[8], 0, 'empty tagged fields of response header v1');
  assert.deepEqual(decodeResponse(metadata, 9, frame.subarray(4)), { correlationId: 5, body });
  const classic = encodeResponse(metadata, 8, 5, body);
  assert.equal(classic.readInt32BE(8), 0, 'v8 body starts with throttle_time_ms right after the correlation id');
});

test('encodeRequest -> broker decode -> encodeResponse -> decodeResponse round-trips', () => {
  for (const version of [0, 3, 8, 9, 11]) {
    const request = defaultProduceRequest();
    request.acks = -1;
    request.timeoutMs = 30000;
    request.transactionalId = version >= 3 ? 'tx' : null;
    request.topicData = [{ ...defaultTopicProduceData(), name: 't', partitionData: [{ ...defaultPartitionProduceData(), index: 1, records: Buffer.from('batch') }] }];
    const frame = encodeRequest(produce, version, 1234, 'client-1', request);
    assert.equal(frame.readInt32BE(0), frame.length - 4);
    const requestPayload = frame.subarray(4);
    const { bodyOffset, ...header } = decodeRequestHeader(requestPayload);
    assert.deepEqual(header, { apiKey: produce, apiVersion: version, correlationId: 1234, clientId: 'client-1' });
    assert.deepEqual(decodeRequestBody(produce, version, requestPayload, bodyOffset), request);
  }
  const response = { ...defaultMetadataResponse(), clusterId: 'cluster', controllerId: 1 };
  for (const version of [0, 1, 8, 9, 12]) {
    const frame = encodeResponse(metadata, version, -7, response);
    const decoded = decodeResponse(metadata, version, frame.subarray(4));
    assert.equal(decoded.correlationId, -7);
    assert.equal((decoded.body as typeof response).controllerId, version >= 1 ? 1 : -1);
  }
});

test('an ApiVersions v0 error answer to a newer request is read as v0', () => {
  const answer = { ...defaultApiVersionsResponse(), errorCode: unsupportedVersion, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }] };
  const frame = encodeResponse(apiVersions, 0, 8, answer);
  const decoded = decodeResponse(apiVersions, 3, frame.subarray(4));
  assert.equal(decoded.correlationId, 8);
  assert.deepEqual(decoded.body, answer);
});

test('encoding an API or version without a codec is a RangeError; a malformed body a ProtocolError', () => {
  assert.throws(() => encodeResponse(12345, 0, 1, {}), RangeError);
  assert.throws(() => encodeRequest(metadata, 99, 1, null, {}), RangeError);
  assert.throws(() => decodeResponse(12345, 0, Buffer.alloc(8)), RangeError);
  const truncated = payload((w) => w.int16(metadata).int16(0).int32(1).string('c').int32(5));
  assert.throws(() => decodeRequestBody(metadata, 0, truncated, decodeRequestHeader(truncated).bodyOffset), ProtocolError);
  assert.throws(() => decodeResponse(produce, 8, Buffer.from([0, 0, 0, 1, 0xff])), ProtocolError);
});
