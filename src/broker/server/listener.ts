/**
 * The TCP listener: accepts connections on one host:port, wraps each in a
 * Connection, bounds how many are open at once (`max.connections`), and
 * closes them all on stop. Its connections share one BufferPool and one
 * read buffer (read-buffer-server.ts).
 */
import type net from 'node:net';
import type { Logger } from '../logger.ts';
import { Connection, type ConnectionLimits, type Dispatch } from './connection.ts';
import { BufferPool } from './buffer-pool.ts';
import { createReadBufferServer } from './read-buffer-server.ts';

/** What one socket read takes at most; every connection reads into the same buffer. */
const readBufferBytes = 128 * 1024;

export interface ListenerOptions extends ConnectionLimits {
  host: string;
  port: number;
  maxConnections: number;
}

export class Listener {
  private readonly options: ListenerOptions;
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly pool = new BufferPool();
  private nextConnectionId = 1;

  constructor(options: ListenerOptions, dispatch: Dispatch, logger: Logger) {
    this.server = createReadBufferServer(Buffer.allocUnsafe(readBufferBytes), (socket) => {
      if (this.connections.size >= options.maxConnections) {
        logger.warn(`refusing connection from ${socket.remoteAddress}: ${options.maxConnections} connections open`);
        socket.destroy();
        return () => {};
      }
      const connection = new Connection(this.nextConnectionId++, socket, dispatch, options, this.pool, logger);
      this.connections.add(connection);
      socket.on('close', () => this.connections.delete(connection));
      return (bytes) => connection.receive(bytes);
    });
    this.options = options;
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
