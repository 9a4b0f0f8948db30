/**
 * One client connection to one broker: sends requests with increasing
 * correlation ids and matches responses to them (the broker answers in
 * order). On connect it asks ApiVersions and then picks, per request, the
 * highest version both sides support (capped by what kb's client knows to
 * use). Requests that expect no response (acks=0 produce) resolve on write.
 * Requests are typed by API key: `request(ApiKeys.Metadata, ...)` takes a
 * MetadataRequest and resolves with a MetadataResponse; `requestUntyped`
 * serves code that passes bodies along without reading them.
 *
 * An optional `authenticate` step (kb's own connections to another node:
 * net/peer-login.ts; a client's SASL login: net/sasl-login.ts) runs after
 * ApiVersions, before `connect()` resolves and so before any other request.
 * Where it resolves with a login's lifetime (KIP-368 session_lifetime_ms),
 * the connection logs in again at 90% of it, as librdkafka does: requests
 * made from then on wait (in order) while those in flight are answered and
 * the step runs again on the same connection (the broker takes nothing but
 * SASL then), then go out; a failed re-authentication closes the
 * connection with the reason.
 *
 * Failures: connect errors and timeouts reject with ClientError naming the
 * broker, and a connect that fails (ApiVersions unanswered or
 * authentication refused included) closes its socket; a closed socket rejects every request in flight.
 * `close()` ends the connection at any point, while connecting too.
 *
 * Memory: each response is copied from what the socket read into memory of
 * its own, allocated once at its final size: a fresh buffer, or, for
 * `requestLeased` with a `framePool` configured, pooled memory that the
 * caller hands back with `release()` once it no longer uses the body (whose
 * byte fields are views of that memory). With a framePool (kb's own
 * broker-to-broker connections) the socket also reads into one reused
 * buffer (net's `onread`), so a follower's 1 MB fetch answers cost no
 * allocation at all, nor the GC work that would follow: that halved a
 * follower's CPU. Other connections read net's fresh chunks ('data'): with
 * `onread` a lone consumer's 1 MB fetches measured ~10% slower here, for a
 * reason not found.
 *
 * TLS (`tls`): the connect completes with the handshake; a failed one
 * (an untrusted certificate, a name that does not match) rejects with the
 * reason.
 *
 * The wrong security protocol fails fast, not at a timeout: a TLS client
 * on a plaintext listener sees its handshake cut (kb and Kafka close on a
 * ClientHello), and a plaintext client on a TLS listener sees the
 * connection closed, or a TLS record, where the ApiVersions answer should
 * be; either error names the setting to change. Security failures reject
 * with ConnectionSecurityError.
 */
import net from 'node:net';
import tls from 'node:tls';
import { FrameAssembler } from '../protocol/frame-assembler.ts';
import { decodeResponse, encodeRequestChunks } from '../protocol/frames.ts';
import { ApiKeys, type ApiKey, type RequestOf, type ResponseOf } from '../protocol/generated/api-keys.ts';
import { writeCorked } from './corked-write.ts';
import { explainTlsFailure } from './tls-failure.ts';

export class ClientError extends Error {
  override name = 'ClientError';
}

/** The broker is there but the connection's security failed: a TLS handshake, the wrong security protocol, a login. */
export class ConnectionSecurityError extends ClientError {
  override name = 'ConnectionSecurityError';
}

interface InFlight {
  apiKey: number;
  apiVersion: number;
  /** Resolve with `{ body, release }` rather than the body. */
  leased: boolean;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  /** Where responses to `requestLeased` that span socket chunks are joined. */
  framePool?: FramePool;
  /**
   * Run once connected (after ApiVersions), before any request: rejects when the broker is not accepted or does not accept this client;
   * resolves with the login's lifetime in ms (0: for ever), to run again before it ends.
   */
  authenticate?: (connection: BrokerConnection) => Promise<number>;
  /** Connect with TLS (kb's own connections to an SSL peer listener): the certificate presented, the CAs trusted. */
  tls?: tls.ConnectionOptions;
}

/** Reusable memory: `take(size)` bytes, given back with `give` when no longer used (BufferPool). */
export interface FramePool {
  take(size: number): Buffer;
  give(buffer: Buffer): void;
}

/** A response body and the release of the memory its byte fields are views of. */
export interface Leased<T> {
  body: T;
  release(): void;
}

const noRelease = () => {};

/** A response's bytes read before its memory is chosen: the correlation id. */
const correlationIdBytes = 4;
/** The one buffer a connection's socket reads into. */
const readBufferBytes = 128 * 1024;

const apiVersionsVersion = 3;
/** The share of a login's lifetime after which the connection logs in again (librdkafka's). */
const reauthenticateAtShare = 0.9;
/** The requests of a (re-)authentication: never held behind it. */
const saslApis = new Set<number>([ApiKeys.SaslHandshake, ApiKeys.SaslAuthenticate]);
/** The first bytes of a TLS record (handshake or alert, TLS 1.x) where a plaintext client expects a response's size. */
const tlsRecordTypes = new Set([0x15, 0x16]);
const tlsMajorVersion = 0x03;

export class BrokerConnection {
  readonly address: string;
  private readonly options: ConnectionOptions;
  private socket: net.Socket | null = null;
  private readonly inFlight = new Map<number, InFlight>();
  private nextCorrelationId = 1;
  private readonly assembler: FrameAssembler;
  /** The responses in pooled memory, to give back once used. */
  private readonly pooledFrames = new WeakSet<Buffer>();
  private versions = new Map<number, [number, number]>();
  private closedError: Error | null = null;
  private reauthTimer: NodeJS.Timeout | null = null;
  /** While re-authenticating: settles once it is done; requests wait for it. */
  private held: Promise<void> | null = null;
  /** Called when the last request in flight is answered (re-authentication waits for it). */
  private onDrained: (() => void) | null = null;

  constructor(options: ConnectionOptions) {
    this.options = options;
    this.address = `${options.host}:${options.port}`;
    this.assembler = new FrameAssembler(
      { peekBytes: correlationIdBytes, minPayloadBytes: correlationIdBytes, maxPayloadBytes: 0x7fffffff, initialPayloadBytes: 0x7fffffff },
      {
        admit: () => true,
        allocate: (size, correlationId) => this.allocateFrame(size, correlationId.readInt32BE(0)),
        discard: () => {}, // never called: a response's memory is allocated whole
        deliver: (payload) => this.deliver(payload),
        refuse: (size) => {
          this.fail(new ClientError(`broker ${this.address} sent a frame of ${size} bytes, too short for a response`));
          this.socket?.destroy();
        },
      },
    );
  }

  /** With a framePool over TCP: read into one reused buffer (see Memory above). Otherwise (TLS too) the socket's 'data' chunks feed `receive`. */
  private get readsIntoOneBuffer(): boolean {
    return this.options.framePool !== undefined && this.options.tls === undefined;
  }

  private readOptions(): Pick<net.NetConnectOpts, 'onread'> {
    if (!this.readsIntoOneBuffer) return {};
    const callback = (n: number, buf: Uint8Array) => (this.receive(Buffer.from(buf.buffer, buf.byteOffset, n)), true);
    return { onread: { buffer: Buffer.allocUnsafe(readBufferBytes), callback } };
  }

  /**
   * Opens the socket, asks ApiVersions and authenticates (when configured). A failure (no connect or no
   * answer in time, or `close()` meanwhile) leaves nothing open behind:
   * a stalled broker must not keep the caller's process alive.
   */
  async connect(): Promise<void> {
    const { host, port } = this.options;
    const socket = this.options.tls ? tls.connect({ ...this.options.tls, host, port }) : net.connect({ host, port, ...this.readOptions() });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new ClientError(`cannot reach broker ${this.address}: no answer within ${this.options.connectTimeoutMs} ms`));
        socket.destroy();
      }, this.options.connectTimeoutMs);
      socket.once(this.options.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(this.tlsFailure(err) ?? new ClientError(`cannot reach broker ${this.address}: ${err.message}`));
      });
      socket.once('close', () => {
        clearTimeout(timer);
        reject(this.closedError ?? new ClientError(`connection to ${this.address} closed`));
      });
    });
    socket.setNoDelay(true);
    if (!this.readsIntoOneBuffer) socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(this.tlsFailure(err) ?? new ClientError(`connection to ${this.address} failed: ${err.message}`)));
    socket.on('close', () => this.fail(this.versions.size > 0 ? new ClientError(`connection to ${this.address} closed`) : this.closedUnanswered()));
    try {
      const apis = await this.requestAt(ApiKeys.ApiVersions, apiVersionsVersion, { clientSoftwareName: 'kb', clientSoftwareVersion: '0' });
      for (const api of apis.apiKeys) {
        this.versions.set(api.apiKey, [api.minVersion, api.maxVersion]);
      }
      this.scheduleReauthentication(await this.options.authenticate?.(this));
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** KIP-368: a new login at 90% of `lifetimeMs` (none for 0 or no login). */
  private scheduleReauthentication(lifetimeMs = 0): void {
    if (lifetimeMs <= 0 || this.closedError) return;
    this.reauthTimer = setTimeout(() => void this.reauthenticate(), Math.floor(lifetimeMs * reauthenticateAtShare)).unref();
  }

  /** Holds new requests, waits for those in flight, logs in again; a failure closes the connection. */
  private async reauthenticate(): Promise<void> {
    let release = () => {};
    this.held = new Promise((resolve) => (release = resolve));
    try {
      if (this.inFlight.size > 0) await new Promise<void>((resolve) => (this.onDrained = resolve));
      this.onDrained = null;
      if (this.closedError) return;
      this.scheduleReauthentication(await this.options.authenticate!(this));
    } catch (err) {
      this.fail(new ClientError(`re-authentication with broker ${this.address} failed: ${(err as Error).message}`));
      this.socket?.destroy();
    } finally {
      this.held = null;
      release();
    }
  }

  /** A TLS socket's failure to set up (before the first answer), explained; null for other errors. */
  private tlsFailure(err: Error): ConnectionSecurityError | null {
    const explained = this.options.tls && this.versions.size === 0 ? explainTlsFailure(err, this.address) : null;
    return explained === null ? null : new ConnectionSecurityError(explained);
  }

  /** The broker closed before its first answer: most likely a plaintext client on a TLS listener. */
  private closedUnanswered(): ClientError {
    if (this.options.tls) return new ClientError(`broker ${this.address} closed the connection without answering ApiVersions`);
    return new ConnectionSecurityError(`broker ${this.address} closed the connection without answering ApiVersions: if it is a TLS listener, connect with security.protocol=SSL (or SASL_SSL)`);
  }

  /** The highest version of `apiKey` both the broker and `clientMax` allow; throws when none. */
  version(apiKey: ApiKey, clientMax: number, clientMin = 0): number {
    const range = this.versions.get(apiKey);
    const v = range ? Math.min(range[1], clientMax) : -1;
    if (!range || v < Math.max(range[0], clientMin)) {
      throw new ClientError(`broker ${this.address} does not support API ${apiKey} at versions ${clientMin}..${clientMax}`);
    }
    return v;
  }

  /** Sends a request at the negotiated version and resolves with the decoded response body. */
  request<K extends ApiKey>(apiKey: K, clientMax: number, body: RequestOf<K>): Promise<ResponseOf<K>> {
    return this.requestAt(apiKey, this.version(apiKey, clientMax), body);
  }

  /** Sends a request at exactly `apiVersion`, whatever the broker advertised (for kb's own nodes, which serve versions they do not advertise). */
  requestAt<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestOf<K>): Promise<ResponseOf<K>> {
    return this.send(apiKey, apiVersion, body) as Promise<ResponseOf<K>>;
  }

  /**
   * requestAt for code that passes bodies along without reading them as
   * one API's (forwarding, Raft's wire messages): the key is any number,
   * the body whatever that key's codec encodes, the answer unknown.
   */
  requestUntyped(apiKey: number, apiVersion: number, body: unknown): Promise<unknown> {
    return this.send(apiKey, apiVersion, body);
  }

  /**
   * Like requestAt, but resolves with the body and a `release()` the caller
   * must call once done with it (see Memory in the header comment).
   */
  requestLeased<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestOf<K>): Promise<Leased<ResponseOf<K>>> {
    return this.send(apiKey, apiVersion, body, true) as Promise<Leased<ResponseOf<K>>>;
  }

  /** Sends a request that gets no response (acks=0 produce). */
  requestNoResponse<K extends ApiKey>(apiKey: K, clientMax: number, body: RequestOf<K>): Promise<void> {
    if (this.held) return this.held.then(() => this.requestNoResponse(apiKey, clientMax, body));
    const frame = encodeRequestChunks(apiKey, this.version(apiKey, clientMax), this.nextCorrelationId++, this.options.clientId, body);
    return new Promise((resolve, reject) => {
      if (!this.socket || this.closedError) return reject(this.closedError ?? new ClientError('not connected'));
      writeCorked(this.socket, frame, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** The decoded response body, or `{ body, release }` when `leased`. */
  private send(apiKey: number, apiVersion: number, body: unknown, leased = false): Promise<unknown> {
    if (this.held && !saslApis.has(apiKey)) return this.held.then(() => this.send(apiKey, apiVersion, body, leased));
    if (!this.socket || this.closedError) return Promise.reject(this.closedError ?? new ClientError('not connected'));
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequestChunks(apiKey, apiVersion, correlationId, this.options.clientId, body);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(correlationId);
        reject(new ClientError(`broker ${this.address} did not answer API ${apiKey} within ${this.options.requestTimeoutMs} ms`));
      }, this.options.requestTimeoutMs);
      this.inFlight.set(correlationId, { apiKey, apiVersion, leased, resolve, reject, timer });
      writeCorked(this.socket!, frame);
    });
  }

  /** Takes the bytes the socket just read (`chunk` may be a view of its reused buffer, so it is valid only during this call). */
  private receive(chunk: Buffer): void {
    if (this.closedError) return;
    if (this.versions.size === 0 && !this.options.tls && chunk.length >= 2 && tlsRecordTypes.has(chunk[0]) && chunk[1] === tlsMajorVersion) {
      this.fail(new ConnectionSecurityError(`broker ${this.address} answered with TLS: it is a TLS listener, connect with security.protocol=SSL (or SASL_SSL)`));
      this.socket?.destroy();
      return;
    }
    this.assembler.push(chunk);
  }

  /** The memory of a `payloadBytes` response to `correlationId`: pooled when it answers a leased request and a pool is configured. */
  private allocateFrame(payloadBytes: number, correlationId: number): Buffer {
    const pool = this.options.framePool;
    if (pool === undefined || this.inFlight.get(correlationId)?.leased !== true) return Buffer.allocUnsafe(payloadBytes);
    const frame = pool.take(payloadBytes);
    this.pooledFrames.add(frame);
    return frame;
  }

  /** Resolves the request `payload` answers; its pooled memory is given back here unless a leased request gets it. */
  private deliver(payload: Buffer): void {
    const pool = this.options.framePool;
    const release = pool !== undefined && this.pooledFrames.delete(payload) ? () => pool.give(payload) : noRelease;
    const correlationId = payload.readInt32BE(0);
    const request = this.inFlight.get(correlationId);
    if (!request) return release(); // timed out already
    this.forget(correlationId);
    clearTimeout(request.timer);
    let body;
    try {
      body = decodeResponse(request.apiKey, request.apiVersion, payload).body;
    } catch (err) {
      release();
      return request.reject(new ClientError(`cannot decode the answer of ${this.address} to API ${request.apiKey}: ${(err as Error).message}`));
    }
    if (request.leased) return request.resolve({ body, release: once(release) });
    release();
    request.resolve(body);
  }

  /** The request is no longer in flight (answered or timed out). */
  private forget(correlationId: number): void {
    this.inFlight.delete(correlationId);
    if (this.inFlight.size === 0) this.onDrained?.();
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    if (this.reauthTimer) clearTimeout(this.reauthTimer);
    for (const request of this.inFlight.values()) {
      clearTimeout(request.timer);
      request.reject(err);
    }
    this.inFlight.clear();
    this.onDrained?.();
  }

  /** True once the connection has failed or been closed: no request on it can succeed. */
  get closed(): boolean {
    return this.closedError !== null;
  }

  close(): void {
    this.fail(new ClientError(`connection to ${this.address} closed by the client`));
    this.socket?.destroy();
  }
}

/** `fn` made safe to call more than once: only the first call runs it. */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
