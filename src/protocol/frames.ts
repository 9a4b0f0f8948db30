/**
 * Kafka request/response framing on top of the generated codecs, for both
 * ends of a connection. On the wire a frame is an int32 size followed by the
 * payload: a header, then the body. The header version follows the API
 * version: requests use header v2 when the API version is flexible, else v1
 * (v0, without client id, for ControlledShutdown v0); responses use header
 * v1 when flexible, else v0, except ApiVersions responses, which always use
 * v0 so that a client can read them whatever version it asked for.
 *
 * Broker side: decodeRequestHeader reads the header of any API key and
 * version (so unknown ones can be answered), decodeRequestBody the body,
 * encodeResponse the whole answer frame (encodeResponseChunks the same as
 * pieces that reference large byte strings instead of copying them).
 * Client side: encodeRequest and decodeResponse (encodeRequestChunks: the
 * request as such pieces). Payloads passed in exclude the size prefix;
 * frames returned include it. Bodies are `unknown` here: handlers and
 * clients use the typed per-message functions of ./generated/ when they
 * know the API.
 *
 * Bad input throws ProtocolError; encoding or decoding with an API key or
 * version that has no codec is a caller bug and throws RangeError.
 */
import { ApiKeys, apis, headers, type ApiCodec } from './generated/index.ts';
import { ProtocolError, Reader, Writer } from './primitives.ts';

const sizePrefixBytes = 4;

export interface RequestHeaderInfo {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** Offset of the body in the payload. */
  bodyOffset: number;
}

export interface DecodedResponse {
  correlationId: number;
  body: unknown;
}

/** The codecs of an API key, or undefined when the key is unknown. */
export function apiCodec(apiKey: number): ApiCodec | undefined {
  return Object.hasOwn(apis, apiKey) ? (apis as Record<number, ApiCodec>)[apiKey] : undefined;
}

/** Whether `apiVersion` of `apiKey` is flexible (unknown keys are not). */
function isFlexible(apiKey: number, apiVersion: number): boolean {
  const flexibleMin = apiCodec(apiKey)?.flexibleMin ?? null;
  return flexibleMin !== null && apiVersion >= flexibleMin;
}

export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKeys.ControlledShutdown && apiVersion === 0) return 0;
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKeys.ApiVersions) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}

/** Reads the request header of `payload` (any API key and version). */
export function decodeRequestHeader(payload: Buffer): RequestHeaderInfo {
  const r = new Reader(payload);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  r.offset = 0;
  const header = headers.request.decode(r, requestHeaderVersion(apiKey, apiVersion));
  return { apiKey, apiVersion, correlationId: header.correlationId, clientId: header.clientId, bodyOffset: r.offset };
}

/** Decodes a request body; an API key or version without a codec is the peer's fault (ProtocolError). */
export function decodeRequestBody(apiKey: number, apiVersion: number, payload: Buffer, bodyOffset: number): unknown {
  const api = supportedApi(apiKey, apiVersion);
  if (!api) throw new ProtocolError(`no codec for API ${apiKey} v${apiVersion}`);
  return api.request.decode(new Reader(payload, bodyOffset), apiVersion);
}

/** The complete response frame, size prefix included. */
export function encodeResponse(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer {
  const chunks = encodeResponseChunks(apiKey, apiVersion, correlationId, body);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** The complete response frame as consecutive pieces (for a writev): large byte strings such as fetched records are referenced, not copied. */
export function encodeResponseChunks(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer[] {
  const api = requireApi(apiKey, apiVersion);
  const w = new Writer().int32(0);
  headers.response.encode(w, { correlationId }, responseHeaderVersion(apiKey, apiVersion));
  api.response.encode(w, body, apiVersion);
  return sizedChunks(w);
}

/** The complete request frame, size prefix included. */
export function encodeRequest(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: unknown): Buffer {
  const chunks = encodeRequestChunks(apiKey, apiVersion, correlationId, clientId, body);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** The complete request frame as consecutive pieces (for a writev): large byte strings such as produced records are referenced, not copied. */
export function encodeRequestChunks(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: unknown): Buffer[] {
  const api = requireApi(apiKey, apiVersion);
  const w = new Writer().int32(0);
  const header = { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId };
  headers.request.encode(w, header, requestHeaderVersion(apiKey, apiVersion));
  api.request.encode(w, body, apiVersion);
  return sizedChunks(w);
}

/**
 * Decodes a response payload (without size prefix) to a request sent at
 * `apiVersion`. A broker that does not support the requested ApiVersions
 * version answers in v0 (error UNSUPPORTED_VERSION), so, like Kafka's own
 * clients, an ApiVersions body that does not decode is read again as v0.
 */
export function decodeResponse(apiKey: number, apiVersion: number, payload: Buffer): DecodedResponse {
  const api = requireApi(apiKey, apiVersion);
  const r = new Reader(payload);
  const { correlationId } = headers.response.decode(r, responseHeaderVersion(apiKey, apiVersion));
  const bodyOffset = r.offset;
  try {
    return { correlationId, body: api.response.decode(r, apiVersion) };
  } catch (err) {
    if (!(err instanceof ProtocolError) || apiKey !== ApiKeys.ApiVersions || apiVersion === 0) throw err;
    return { correlationId, body: api.response.decode(new Reader(payload, bodyOffset), 0) };
  }
}

function supportedApi(apiKey: number, apiVersion: number): ApiCodec | undefined {
  const api = apiCodec(apiKey);
  if (!api || apiVersion < api.validVersions[0] || apiVersion > api.validVersions[1]) return undefined;
  return api;
}

function requireApi(apiKey: number, apiVersion: number): ApiCodec {
  const api = supportedApi(apiKey, apiVersion);
  if (!api) throw new RangeError(`no codec for API ${apiKey} v${apiVersion}`);
  return api;
}

/** The writer's pieces with the frame's size written into its first four bytes. */
function sizedChunks(w: Writer): Buffer[] {
  const chunks = w.finishChunks();
  chunks[0].writeInt32BE(chunks.reduce((n, c) => n + c.length, 0) - sizePrefixBytes, 0);
  return chunks;
}
