/**
 * Connections from this node to other nodes of the cluster, for its own
 * traffic (Raft messages, requests to the active controller): one
 * BrokerConnection per (address, lane), opened on first use and opened
 * again after it fails. Lanes keep slow requests (a long-polling Fetch)
 * from holding up others (a Vote), because a broker answers the requests
 * of one connection in order.
 *
 * With credentials, each connection first authenticates as this node to
 * the node it reaches (KB-CLUSTER-SECRET, net/peer-login.ts); a refusal
 * rejects the request like a failed connect. Without (the cluster opted
 * out: peer.authentication=none) connections only claim their ids.
 *
 * `request` sends at exactly the given version, advertised or not (all
 * nodes run kb; a peer that does not serve it answers with an error) and
 * resolves with the decoded response body, or rejects with ClientError.
 * Bodies are untyped here: callers (the controller channel, Raft's wire
 * messages) type or check them. `tls` gives the TLS options of a
 * connection to an address (the peer listeners are SSL), none for TCP; it
 * is asked at each connect, so rotated certificates are presented.
 */
import type tls from 'node:tls';
import { BrokerConnection } from './connection.ts';
import { formatHostPort, type HostPort, type Voter } from './host-port.ts';
import { peerLogin, type PeerCredentials } from './peer-login.ts';

/** The TLS options of this node's connection to a peer at `address`; undefined: plain TCP. */
export type PeerTls = (address: HostPort) => tls.ConnectionOptions | undefined;

export interface Lane {
  readonly name: string;
  readonly requestTimeoutMs: number;
}

const connectTimeoutMs = 2_000;

export class PeerConnections {
  readonly clientId: string;
  private readonly credentials: PeerCredentials | null;
  private readonly open = new Map<string, Promise<BrokerConnection>>();
  private closed = false;
  private readonly tls: PeerTls;

  constructor(clientId: string, credentials: PeerCredentials | null, tls: PeerTls = () => undefined) {
    this.clientId = clientId;
    this.credentials = credentials;
    this.tls = tls;
  }

  /** Sends to node `address.nodeId` at its address. */
  async request(address: Voter, lane: Lane, apiKey: number, apiVersion: number, body: unknown): Promise<unknown> {
    const key = `${formatHostPort(address)}/${lane.name}`;
    const connection = await this.connection(key, address, lane);
    try {
      return await connection.requestUntyped(apiKey, apiVersion, body);
    } catch (err) {
      this.drop(key, connection);
      throw err;
    }
  }

  private connection(key: string, address: Voter, lane: Lane): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new Error('peer connections are closed'));
    let opening = this.open.get(key);
    if (!opening) {
      const authenticate = this.credentials === null ? undefined : peerLogin(this.credentials, address.nodeId);
      const { host, port } = address;
      const connection = new BrokerConnection({ host, port, clientId: this.clientId, requestTimeoutMs: lane.requestTimeoutMs, connectTimeoutMs, authenticate, tls: this.tls(address) });
      opening = connection.connect().then(
        () => connection,
        (err: Error) => {
          this.open.delete(key);
          throw err;
        },
      );
      this.open.set(key, opening);
    }
    return opening;
  }

  private drop(key: string, connection: BrokerConnection): void {
    connection.close();
    void this.open.get(key)?.then((current) => {
      if (current === connection) this.open.delete(key);
    });
  }

  close(): void {
    this.closed = true;
    for (const opening of this.open.values()) void opening.then((c) => c.close(), () => undefined);
    this.open.clear();
  }
}
