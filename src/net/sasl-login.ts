/**
 * A client's SASL login over a BrokerConnection (PLAIN, SCRAM-SHA-256,
 * SCRAM-SHA-512; the tokens from protocol/sasl-client.ts):
 * `saslAuthentication(credentials)` is the authentication step a
 * connection runs after ApiVersions: SaslHandshake, then SaslAuthenticate
 * rounds, each at the highest version both sides know (v1 and v2 from kb
 * and Kafka 2+). It resolves with the login's lifetime in ms (KIP-368: the
 * session_lifetime_ms of the last answer, v1+; 0: for ever), after which
 * BrokerConnection runs it again on the same connection. A refusal (mechanism not offered, wrong password, unknown
 * user) or a server that fails to prove itself rejects with
 * SaslAuthenticationError carrying the broker's own message.
 */
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import { type SaslCredentials, SaslError, saslLogin } from '../protocol/sasl-client.ts';
import { type BrokerConnection, ConnectionSecurityError } from './connection.ts';

/** The broker refused the login, or failed to prove it knows the password. */
export class SaslAuthenticationError extends ConnectionSecurityError {
  override name = 'SaslAuthenticationError';
}

const handshakeVersionMax = 1;
const authenticateVersionMax = 2;

export function saslAuthentication(sasl: SaslCredentials): (connection: BrokerConnection) => Promise<number> {
  return async (connection) => {
    const handshake = await connection.request(ApiKeys.SaslHandshake, handshakeVersionMax, { mechanism: sasl.mechanism });
    if (handshake.errorCode !== ErrorCode.NONE) {
      const offered = handshake.mechanisms.length > 0 ? handshake.mechanisms.join(', ') : 'none';
      throw new SaslAuthenticationError(`broker ${connection.address} refused SASL mechanism ${sasl.mechanism} (${errorName(handshake.errorCode)}); it offers: ${offered}`);
    }
    const version = connection.version(ApiKeys.SaslAuthenticate, authenticateVersionMax);
    let lifetimeMs = 0;
    const exchange = async (authBytes: Buffer) => {
      const answer = await connection.requestAt(ApiKeys.SaslAuthenticate, version, { authBytes });
      if (answer.errorCode !== ErrorCode.NONE) {
        const said = answer.errorMessage ? `: ${answer.errorMessage}` : '';
        throw new SaslAuthenticationError(`authentication as ${JSON.stringify(sasl.username)} with ${sasl.mechanism} to broker ${connection.address} failed (${errorName(answer.errorCode)})${said}`);
      }
      lifetimeMs = version >= 1 ? Number(answer.sessionLifetimeMs) : 0;
      return answer.authBytes;
    };
    try {
      await saslLogin(sasl, exchange);
      return lifetimeMs;
    } catch (err) {
      if (err instanceof SaslError) throw new SaslAuthenticationError(`authentication with ${sasl.mechanism} to broker ${connection.address} failed: ${err.message}`);
      throw err;
    }
  };
}
