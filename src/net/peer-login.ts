/**
 * The client side of KB-CLUSTER-SECRET (net/peer-auth.ts) over a
 * BrokerConnection: `peerLogin(credentials, serverId)` is the
 * authentication step a node's own connections to another node run after
 * ApiVersions and before any request (SaslHandshake v1, then two
 * SaslAuthenticate v2 round trips); its login lasts as long as the
 * connection (it resolves with lifetime 0). It rejects with ClientError saying
 * why (the server refused the mechanism or the proof, or could not prove
 * it holds the secret itself); BrokerConnection then closes the socket.
 */
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import { ClientError, type BrokerConnection } from './connection.ts';
import { clientFinal, clientFirst, peerMechanism } from './peer-auth.ts';

/** What a node proves itself with: its node id and the cluster secret. */
export interface PeerCredentials {
  readonly nodeId: number;
  readonly secret: Buffer;
}

const handshakeVersion = 1;
const authenticateVersion = 2;

/** The authentication step of a connection from node `credentials.nodeId` to node `serverId`. */
export function peerLogin(credentials: PeerCredentials, serverId: number): (connection: BrokerConnection) => Promise<number> {
  return async (connection) => {
    const refused = (what: string, errorCode: number, message: string | null) =>
      new ClientError(`node ${serverId} at ${connection.address} refused ${what}: ${errorName(errorCode)}${message ? ` (${message})` : ''}`);
    const handshake = await connection.requestAt(ApiKeys.SaslHandshake, handshakeVersion, { mechanism: peerMechanism });
    if (handshake.errorCode !== ErrorCode.NONE) throw refused(`the ${peerMechanism} mechanism`, handshake.errorCode, null);
    const first = clientFirst(credentials.nodeId, serverId);
    const challenge = await connection.requestAt(ApiKeys.SaslAuthenticate, authenticateVersion, { authBytes: first.message });
    if (challenge.errorCode !== ErrorCode.NONE) throw refused('peer authentication', challenge.errorCode, challenge.errorMessage);
    const final = clientFinal(credentials.secret, first.exchange, challenge.authBytes);
    if (!final.ok) throw new ClientError(`peer authentication with ${connection.address} failed: ${final.reason}`);
    const outcome = await connection.requestAt(ApiKeys.SaslAuthenticate, authenticateVersion, { authBytes: final.value });
    if (outcome.errorCode !== ErrorCode.NONE) throw refused('peer authentication', outcome.errorCode, outcome.errorMessage);
    return 0;
  };
}
