/**
 * A connection that authenticates as a kb node, as a node's own connections
 * to its peers do (KB-CLUSTER-SECRET, src/net/peer-login.ts): for tests that
 * speak peer APIs to a real broker, or try to with the wrong secret or as
 * another node. Bodies are untyped (`request` answers any).
 */
import { BrokerConnection } from '../../src/net/connection.ts';
import { peerLogin } from '../../src/net/peer-login.ts';
import { testClusterSecret } from './broker.ts';

export interface PeerClient {
  request(apiKey: number, apiVersion: number, body: unknown): Promise<any>;
  close(): void;
}

/** Connects to node `serverId` at host:port and authenticates as node `nodeId` with `secret` (the test brokers' by default); rejects when refused. */
export async function connectAsPeer(host: string, port: number, nodeId: number, serverId: number, secret = testClusterSecret): Promise<PeerClient> {
  const connection = new BrokerConnection({
    host,
    port,
    clientId: `kb-broker-${nodeId}`,
    requestTimeoutMs: 15_000,
    connectTimeoutMs: 5_000,
    authenticate: peerLogin({ nodeId, secret: Buffer.from(secret) }, serverId),
  });
  await connection.connect();
  return { request: (apiKey, apiVersion, body) => connection.requestUntyped(apiKey, apiVersion, body), close: () => connection.close() };
}
