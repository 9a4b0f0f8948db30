/**
 * The TCP listener: accepts connections on one host:port, wraps each in a
 * Connection, admits them by ConnectionQuotas (refusals are logged at most
 * once a second, with how many there were, as are failed authentications),
 * and closes them all on stop. Where authentication is required (a peer
 * listener), connections not authenticated yet from addresses that are not
 * peers' have a budget of their own (`unauthenticatedMax`): one more
 * closes the oldest of them, so a flood of connections that never
 * authenticate holds that many slots at most, and cannot keep a node from
 * reaching its peers (whose addresses, exempt, never count).
 * Its connections share one BufferPool, one RequestMemory
 * (`queued.max.request.bytes`) and one read buffer (read-buffer-server.ts),
 * and count what their responses hold into the broker's response memory
 * (`responseMemory` of the options, `queued.max.response.bytes`).
 */
import type net from 'node:net';
import type { Logger } from '../../logger.ts';
import { Connection, type ConnectionAuthentication, type ConnectionLimits, type Dispatch } from './connection.ts';
import { BufferPool } from './buffer-pool.ts';
import { RequestMemory } from './request-memory.ts';
import { ConnectionQuotas, type ConnectionQuotaLimits } from './connection-quotas.ts';
import { createReadBufferServer } from './read-buffer-server.ts';
import { RateLimitedLog } from './rate-limited-log.ts';

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

  constructor(options: ListenerOptions, dispatch: Dispatch, logger: Logger) {
    this.memory = new RequestMemory(options.queuedMaxRequestBytes);
    this.quotas = new ConnectionQuotas(options, options.isPeer ?? (() => false));
    const refusals = new RateLimitedLog((line) => logger.warn(line), refusalLogIntervalMs, 'more refused');
    const authentication = options.authentication && { ...options.authentication, logFailure: (line: string) => refusals.note(line) };
    const limits: ConnectionLimits = { ...options, authentication };
    this.server = createReadBufferServer(Buffer.allocUnsafe(readBufferBytes), (socket) => {
      const ip = socket.remoteAddress ?? '';
      const refusal = this.quotas.admit(ip);
      if (refusal !== null) {
        refusals.note(`refusing connection from ${ip}: ${refusal}`);
        socket.destroy();
        return () => {};
      }
      const connection = new Connection(this.nextConnectionId++, socket, dispatch, limits, this.pool, this.memory, logger);
      this.connections.add(connection);
      if (authentication?.required && !options.isPeer?.(ip)) this.awaitAuthentication(connection, authentication.unauthenticatedMax, refusals);
      socket.on('close', () => {
        this.connections.delete(connection);
        this.unauthenticated.delete(connection);
        this.quotas.release(ip);
      });
      return (bytes) => connection.receive(bytes);
    });
    this.options = options;
  }

  /** Counts `connection` among those waiting to authenticate, closing the oldest of them when there are `max` already. */
  private awaitAuthentication(connection: Connection, max: number, refusals: RateLimitedLog): void {
    for (const waiting of this.unauthenticated) if (waiting.sasl.peer !== null) this.unauthenticated.delete(waiting);
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
    await closed;
  }
}
