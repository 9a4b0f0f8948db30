/**
 * The TCP listener: accepts connections on one host:port, wraps each in a
 * Connection, admits them by ConnectionQuotas (refusals are logged at most
 * once a second, with how many there were, as are failed authentications),
 * and closes them all on stop. Where authentication is required (a peer
 * listener, a SASL listener), connections not authenticated yet from addresses that are not
 * peers' have a budget of their own (`unauthenticatedMax`): one more
 * closes the oldest of them, so a flood of connections that never
 * authenticate holds that many slots at most, and cannot keep a node from
 * reaching its peers (whose addresses, exempt, never count). Failed
 * logins count against the client's address in the broker's AuthFailures
 * (`authentication.failures`), shared by its listeners.
 * Its connections share one BufferPool, one RequestMemory
 * (`queued.max.request.bytes`) and one read buffer (read-buffer-server.ts;
 * on an SSL listener what TLS decrypts, tls-read-buffer.ts), and count what their responses hold into
 * the broker's response memory (`responseMemory` of the options,
 * `queued.max.response.bytes`).
 *
 * An SSL listener (`tls`) wraps each admitted socket in TLS with the
 * listener's current secure context (listener-tls.ts) and hands what it
 * decrypts to the connection; the connection's principal is the client
 * certificate's, set once the handshake is done and before any request is
 * read. A failed handshake (a plaintext client, an untrusted or missing
 * client certificate where one is required, a certificate the mapping rules
 * give no principal) closes the connection and is logged, rate-limited
 * with the refusals.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../../logger.ts';
import { Connection, type ConnectionAuthentication, type ConnectionLimits, type Dispatch } from './connection.ts';
import { BufferPool } from './buffer-pool.ts';
import { RequestMemory } from './request-memory.ts';
import { ConnectionQuotas, type ConnectionQuotaLimits } from './connection-quotas.ts';
import { createReadBufferServer } from './read-buffer-server.ts';
import { readTlsIntoBuffer } from './tls-read-buffer.ts';
import { RateLimitedLog } from './rate-limited-log.ts';
import type { ListenerTls } from './listener-tls.ts';

/** What one socket read takes at most; every connection reads into the same buffer. */
const readBufferBytes = 128 * 1024;

/** How often refused connections (and refused requests: refusalLogIntervalMs) are logged at most. */
export const refusalLogIntervalMs = 1_000;

export interface ListenerOptions extends Omit<ConnectionLimits, 'authentication'>, ConnectionQuotaLimits {
  /**
   * The SASL mechanisms its connections offer and whether they must
   * authenticate (connection.ts; failures are logged with the refusals),
   * and how many may wait to authenticate at once (see above).
   */
  authentication?: Omit<ConnectionAuthentication, 'logFailure'> & { unauthenticatedMax: number };
  host: string;
  port: number;
  /** `queued.max.request.bytes`: request memory of all connections (-1: unbounded). */
  queuedMaxRequestBytes: number;
  /** Whether an address is a peer's (exempt from the per-address limits); none by default. */
  isPeer?: (ip: string) => boolean;
  /** An SSL listener's TLS; none: PLAINTEXT. */
  tls?: ListenerTls;
}

export class Listener {
  private readonly options: ListenerOptions;
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly pool = new BufferPool();
  private readonly memory: RequestMemory;
  private readonly quotas: ConnectionQuotas;
  private nextConnectionId = 1;
  /** Connections from non-peer addresses that may not have authenticated yet, oldest first (pruned as they authenticate). */
  private readonly unauthenticated = new Set<Connection>();
  private readonly dispatch: Dispatch;
  private readonly logger: Logger;
  /** An SSL listener's TCP sockets, closed with the listener (those in their handshake have no Connection yet). */
  private readonly tcpSockets = new Set<net.Socket>();
  /** The connections' limits, with authentication failures logged among the refusals. */
  private readonly limits: ConnectionLimits;
  private readonly refusals: RateLimitedLog;
  /** The one buffer every connection's socket reads (or decrypts) into. */
  private readonly readBuffer = Buffer.allocUnsafe(readBufferBytes);

  constructor(options: ListenerOptions, dispatch: Dispatch, logger: Logger) {
    this.options = options;
    this.memory = new RequestMemory(options.queuedMaxRequestBytes);
    this.quotas = new ConnectionQuotas(options, options.isPeer ?? (() => false));
    const refusals = new RateLimitedLog((line) => logger.warn(line), refusalLogIntervalMs, 'more refused');
    const authentication = options.authentication && { ...options.authentication, logFailure: (line: string) => refusals.note(line) };
    this.limits = { ...options, authentication };
    this.refusals = refusals;
    /** Admits a socket by the quotas (releasing its slot once it closes), or refuses and destroys it. */
    const admit = (socket: net.Socket): boolean => {
      const ip = socket.remoteAddress ?? '';
      const refusal = this.quotas.admit(ip);
      if (refusal !== null) {
        refusals.note(`refusing connection from ${ip}: ${refusal}`);
        socket.destroy();
        return false;
      }
      socket.on('close', () => this.quotas.release(ip));
      return true;
    };
    this.dispatch = dispatch;
    this.logger = logger;
    const secure = options.tls;
    this.server = secure
      ? this.tlsServer(secure, admit, (line) => refusals.note(line))
      : createReadBufferServer(this.readBuffer, (socket) => {
          if (!admit(socket)) return () => {};
          const connection = this.open(socket);
          return (bytes) => connection.receive(bytes);
        });
  }

  private open(socket: net.Socket): Connection {
    const connection = new Connection(this.nextConnectionId++, socket, this.dispatch, this.limits, this.pool, this.memory, this.logger);
    this.connections.add(connection);
    const authentication = this.options.authentication;
    if (authentication?.required && !this.options.isPeer?.(socket.remoteAddress ?? '')) this.awaitAuthentication(connection, authentication.unauthenticatedMax, this.refusals);
    socket.on('close', () => {
      this.connections.delete(connection);
      this.unauthenticated.delete(connection);
    });
    return connection;
  }

  /**
   * The server of an SSL listener: a TCP server admitting by the quotas,
   * handing admitted sockets to a tls.Server (which verifies client
   * certificates as `ssl.client.auth` says, and bounds the handshake's
   * time), which hands each handshaken socket over as a Connection with its
   * principal. The tls.Server takes the listener's latest certificates
   * before each new handshake.
   */
  private tlsServer(secure: ListenerTls, admit: (socket: net.Socket) => boolean, refused: (line: string) => void): net.Server {
    let generation = secure.generation;
    const handshakes = tls.createServer(secure.serverOptions());
    handshakes.on('secureConnection', (socket: tls.TLSSocket) => {
      const principal = secure.principalOf(socket);
      if (principal === null) {
        refused(`closing connection from ${socket.remoteAddress} on SSL listener ${secure.settings.listener}: no ssl.principal.mapping.rules rule applies to its certificate`);
        return socket.destroy();
      }
      const connection = this.open(socket);
      connection.certificatePrincipal = principal;
      readTlsIntoBuffer(socket, this.readBuffer, (bytes) => connection.receive(bytes));
    });
    handshakes.on('tlsClientError', (err, socket) => {
      refused(`TLS handshake with ${socket.remoteAddress} on SSL listener ${secure.settings.listener} failed: ${handshakeFailure(err)}`);
    });
    return net.createServer((socket) => {
      if (!admit(socket)) return;
      this.tcpSockets.add(socket);
      socket.on('close', () => this.tcpSockets.delete(socket));
      if (generation !== secure.generation) {
        generation = secure.generation;
        handshakes.setSecureContext(secure.contextOptions());
      }
      handshakes.emit('connection', socket);
    });
  }

  /** Counts `connection` among those waiting to authenticate, closing the oldest of them when there are `max` already. */
  private awaitAuthentication(connection: Connection, max: number, refusals: RateLimitedLog): void {
    for (const waiting of this.unauthenticated) if (waiting.sasl.authenticated) this.unauthenticated.delete(waiting);
    const oldest = this.unauthenticated.size >= max ? this.unauthenticated.values().next().value : undefined;
    if (oldest) {
      this.unauthenticated.delete(oldest);
      const reason = `${max} connections are waiting to authenticate, this is the oldest`;
      refusals.note(`closing connection ${oldest.id} from ${oldest.remote}: ${reason}`);
      oldest.close(reason, false);
    }
    this.unauthenticated.add(connection);
  }

  /** Starts listening; rejects with a clear message when the address is taken. */
  listen(): Promise<net.AddressInfo> {
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const reason = err.code === 'EADDRINUSE' ? 'the address is already in use (another broker?)' : err.message;
        reject(new Error(`cannot listen on ${host}:${port}: ${reason}`));
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  get openConnections(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.close('broker stopping', false);
    for (const socket of this.tcpSockets) socket.destroy();
    await closed;
  }
}

/** Why a server handshake failed, for the log (OpenSSL's reason without its codes). */
function handshakeFailure(err: Error): string {
  const reason = (err as Error & { reason?: string }).reason ?? err.message;
  if (/wrong version number|http request|packet length too long|unknown protocol/i.test(reason)) return `${reason} (a client speaking plaintext to a TLS port?)`;
  return reason;
}
