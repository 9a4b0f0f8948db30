/**
 * KB-CLUSTER-SECRET: how two nodes of one cluster prove to each other that
 * both hold the cluster secret, never sending it. A mutual HMAC-SHA256
 * challenge-response carried in Kafka's SASL framing: SaslHandshake v1
 * names the mechanism, then two SaslAuthenticate v2 round trips carry the
 * messages below. Pure functions of both sides; sockets are elsewhere
 * (the client in net/connection.ts, the server in broker/server/).
 *
 * The exchange, byte by byte (integers big-endian):
 *   client-first  (41 bytes)  version u8 = 1 | clientId i32 | serverId i32 | clientNonce 32
 *     clientId: the node id the client claims; serverId: the node id it
 *     means to reach. The server refuses a serverId other than its own.
 *   server-first  (65 bytes)  version u8 = 1 | serverNonce 32 | serverProof 32
 *   client-final  (33 bytes)  version u8 = 1 | clientProof 32
 *   then the server answers NONE (the connection is the client's node id
 *   from now on) or SASL_AUTHENTICATION_FAILED and closes.
 * with
 *   transcript  = version | clientId | serverId | clientNonce | serverNonce
 *   serverProof = HMAC-SHA256(secret, "kb-server" | transcript)
 *   clientProof = HMAC-SHA256(secret, "kb-client" | transcript)
 *
 * The client checks the server's proof before it proves itself, so a rogue
 * server learns nothing and cannot pose as the node it was asked for. Both
 * nonces are fresh per connection (a replayed message proves nothing in
 * another exchange); the two labels keep a proof of one side from being
 * reflected as the other's; both node ids are in the proofs, so one cannot
 * be reused for another pair. Proofs are compared with timingSafeEqual.
 * Every message has one exact length: anything else is refused before
 * any HMAC is computed. Not protected: what follows on the connection
 * (neither encrypted nor integrity-protected: TLS comes with #24).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const peerMechanism = 'KB-CLUSTER-SECRET';
/** The shortest cluster secret accepted, in characters. */
export const clusterSecretLengthMin = 32;

const version = 1;
const nonceBytes = 32;
const proofBytes = 32;
const clientFirstBytes = 1 + 4 + 4 + nonceBytes;
const serverFirstBytes = 1 + nonceBytes + proofBytes;
const clientFinalBytes = 1 + proofBytes;

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** What the client keeps between its two messages. */
export interface ClientExchange {
  readonly clientId: number;
  readonly serverId: number;
  readonly clientNonce: Buffer;
}

/** What the server keeps between the client's two messages. */
export interface ServerExchange {
  readonly clientId: number;
  readonly transcript: Buffer;
}

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

function transcriptOf(clientId: number, serverId: number, clientNonce: Buffer, serverNonce: Buffer): Buffer {
  const ids = Buffer.alloc(9);
  ids.writeUInt8(version, 0);
  ids.writeInt32BE(clientId, 1);
  ids.writeInt32BE(serverId, 5);
  return Buffer.concat([ids, clientNonce, serverNonce]);
}

function proof(secret: Buffer, label: 'kb-server' | 'kb-client', transcript: Buffer): Buffer {
  return createHmac('sha256', secret).update(label).update(transcript).digest();
}

function checkShape(message: Buffer, bytes: number, what: string): string | null {
  if (message.length !== bytes) return `${what} of ${message.length} bytes, expected ${bytes}`;
  if (message[0] !== version) return `${what} of version ${message[0]}, expected ${version}`;
  return null;
}

/** Client: the first message, claiming `clientId` and naming `serverId`. */
export function clientFirst(clientId: number, serverId: number, clientNonce = randomBytes(nonceBytes)): { message: Buffer; exchange: ClientExchange } {
  const message = Buffer.alloc(clientFirstBytes);
  message.writeUInt8(version, 0);
  message.writeInt32BE(clientId, 1);
  message.writeInt32BE(serverId, 5);
  clientNonce.copy(message, 9);
  return { message, exchange: { clientId, serverId, clientNonce } };
}

/** Server `ownId`: checks the client's first message and answers with its nonce and proof. */
export function serverFirst(secret: Buffer, ownId: number, message: Buffer, serverNonce = randomBytes(nonceBytes)): Outcome<{ message: Buffer; exchange: ServerExchange }> {
  const problem = checkShape(message, clientFirstBytes, 'a first message');
  if (problem) return fail(problem);
  const clientId = message.readInt32BE(1);
  const serverId = message.readInt32BE(5);
  if (serverId !== ownId) return fail(`node ${clientId} meant to reach node ${serverId}, this is node ${ownId}`);
  if (clientId < 0) return fail(`node id ${clientId} claimed`);
  const transcript = transcriptOf(clientId, serverId, message.subarray(9, 9 + nonceBytes), serverNonce);
  const reply = Buffer.concat([Buffer.of(version), serverNonce, proof(secret, 'kb-server', transcript)]);
  return { ok: true, value: { message: reply, exchange: { clientId, transcript } } };
}

/** Client: checks the server's proof and answers with its own. */
export function clientFinal(secret: Buffer, exchange: ClientExchange, message: Buffer): Outcome<Buffer> {
  const problem = checkShape(message, serverFirstBytes, 'a server answer');
  if (problem) return fail(problem);
  const serverNonce = message.subarray(1, 1 + nonceBytes);
  const transcript = transcriptOf(exchange.clientId, exchange.serverId, exchange.clientNonce, serverNonce);
  if (!timingSafeEqual(message.subarray(1 + nonceBytes), proof(secret, 'kb-server', transcript))) {
    return fail(`node ${exchange.serverId} does not hold the cluster secret (wrong secret on either side, or not node ${exchange.serverId})`);
  }
  return { ok: true, value: Buffer.concat([Buffer.of(version), proof(secret, 'kb-client', transcript)]) };
}

/** Server: checks the client's proof; the node id the connection authenticated as. */
export function serverVerify(secret: Buffer, exchange: ServerExchange, message: Buffer): Outcome<number> {
  const problem = checkShape(message, clientFinalBytes, 'a final message');
  if (problem) return fail(problem);
  if (!timingSafeEqual(message.subarray(1), proof(secret, 'kb-client', exchange.transcript))) {
    return fail(`node ${exchange.clientId} did not prove it holds the cluster secret`);
  }
  return { ok: true, value: exchange.clientId };
}
