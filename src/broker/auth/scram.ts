/**
 * The server side of SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677),
 * two steps:
 * 1. client-first `n,,n=<user>,r=<client nonce>[,<extensions>]` (no
 *    channel binding and no authorization id: the header must be `n,,`)
 *    -> server-first `r=<client nonce><server nonce>,s=<salt>,i=<iterations>`;
 *    the server's nonce always extends the client's.
 * 2. client-final `c=biws,r=<that whole nonce>[,<extensions>],p=<proof>`
 *    -> success with server-final `v=<server signature>`. The nonce must be
 *    exactly the one the server sent (CVE-2024-56128), or the client's
 *    nonce followed by it: librdkafka before 2.6.1 (kcat and
 *    confluent-kafka 2.0 among them) sends that, which still holds the
 *    server's fresh nonce whole (Kafka accepted it until its CVE fix, and
 *    kb must serve those clients); the proof is checked
 *    by recomputing the client key and comparing its hash with the stored
 *    key in constant time.
 * Every message is at most saslMessageBytesMax bytes; anything malformed
 * fails with a reason naming what was wrong. User names are compared as
 * sent (after the `=2C`/`=3D` unescaping), as Kafka does.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { saslMessageBytesMax } from '../../limits.ts';
import { hash, hmac, type ScramMechanism } from '../../protocol/scram.ts';
import { credentialOrFake, invalidCredentials, type CredentialLookup, type ScramCredential } from './credentials.ts';
import type { MechanismOptions, MechanismStep, ServerMechanism } from './mechanism.ts';

const gs2Header = 'n,,';
const channelBinding = Buffer.from(gs2Header).toString('base64');
/** RFC 5802 `printable`: %x21-7E except ','. */
const nonceSyntax = /^[\x21-\x2b\x2d-\x7e]+$/;
const base64Syntax = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const fatal = new TextDecoder('utf-8', { fatal: true });

class Malformed extends Error {}

/** RFC 5802 saslname: ',' and '=' travel as '=2C' and '=3D', and no other '=' may appear. */
function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new Malformed(`user name '${name}' has an '=' that is not =2C or =3D`);
  return name.replaceAll('=2C', ',').replaceAll('=3D', '=');
}

/** The `key=value` attributes of a message, in order. */
function attributes(message: string): { key: string; value: string }[] {
  return message.split(',').map((part) => {
    const match = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!match) throw new Malformed(`'${part.slice(0, 40)}' is not an attribute (a letter, '=', a value)`);
    return { key: match[1], value: match[2] };
  });
}

function defaultServerNonce(): string {
  return randomBytes(24).toString('base64url');
}

interface First {
  user: string;
  bare: string;
  clientNonce: string;
}

function parseClientFirst(message: string): First {
  if (!message.startsWith(gs2Header)) throw new Malformed(`the message must start with '${gs2Header}': channel binding and authorization ids are not supported`);
  const bare = message.slice(gs2Header.length);
  const [name, nonce] = attributes(bare);
  if (name?.key === 'm') throw new Malformed('mandatory extensions (m=) are not supported');
  if (name?.key !== 'n' || name.value === '') throw new Malformed('the first attribute must be the user name (n=)');
  if (nonce?.key !== 'r' || !nonceSyntax.test(nonce.value)) throw new Malformed('the second attribute must be the nonce (r=, printable characters but ,)');
  return { user: decodeSaslName(name.value), bare, clientNonce: nonce.value };
}

function parseClientFinal(message: string, first: First, nonce: string, keyBytes: number): { withoutProof: string; proof: Buffer } {
  const proofAt = message.lastIndexOf(',p=');
  if (proofAt < 0) throw new Malformed('the last attribute must be the proof (p=)');
  const withoutProof = message.slice(0, proofAt);
  const [binding, sentNonce] = attributes(withoutProof);
  if (binding?.key !== 'c' || binding.value !== channelBinding) throw new Malformed(`the first attribute must be c=${channelBinding} (no channel binding)`);
  if (sentNonce?.key !== 'r') throw new Malformed('the second attribute must be the nonce (r=)');
  if (sentNonce.value !== nonce && sentNonce.value !== first.clientNonce + nonce) throw new Malformed('the nonce is not the one the server sent');
  const proofText = message.slice(proofAt + 3);
  const proof = Buffer.from(proofText, 'base64');
  if (!base64Syntax.test(proofText) || proof.length !== keyBytes) throw new Malformed(`the proof must be ${keyBytes} bytes in base64`);
  return { withoutProof, proof };
}

export function createScramMechanism(mechanism: ScramMechanism, lookup: CredentialLookup, options: MechanismOptions): ServerMechanism {
  const serverNonce = options.serverNonce ?? defaultServerNonce;
  type Final = { step: 'final'; first: First; serverFirst: string; nonce: string; credential: ScramCredential; known: boolean };
  let state: { step: 'first' } | Final | { step: 'over' } = { step: 'first' };

  function clientFirst(message: string): MechanismStep {
    const first = parseClientFirst(message);
    const { credential, known } = credentialOrFake(lookup, first.user, mechanism, options.unknownUserKey);
    const nonce = first.clientNonce + serverNonce();
    const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    state = { step: 'final', first, serverFirst, nonce, credential, known };
    return { kind: 'challenge', bytes: Buffer.from(serverFirst) };
  }

  function clientFinal(message: string, { first, serverFirst, nonce, credential, known }: Final): MechanismStep {
    const final = parseClientFinal(message, first, nonce, mechanism.keyBytes);
    const authMessage = `${first.bare},${serverFirst},${final.withoutProof}`;
    const clientSignature = hmac(mechanism, credential.storedKey, authMessage);
    const clientKey = Buffer.alloc(mechanism.keyBytes);
    for (let i = 0; i < clientKey.length; i++) clientKey[i] = final.proof[i] ^ clientSignature[i];
    const matches = timingSafeEqual(hash(mechanism, clientKey), credential.storedKey);
    if (!matches || !known) return { kind: 'failure', reason: invalidCredentials(mechanism.name), user: first.user };
    const serverSignature = hmac(mechanism, credential.serverKey, authMessage);
    return { kind: 'success', principal: first.user, bytes: Buffer.from(`v=${serverSignature.toString('base64')}`) };
  }

  return {
    name: mechanism.name,
    async step(input: Buffer): Promise<MechanismStep> {
      const current = state;
      state = { step: 'over' };
      if (current.step === 'over') return { kind: 'failure', reason: `${mechanism.name} authentication is already over`, user: null };
      const which = current.step === 'first' ? 'client-first' : 'client-final';
      const user = current.step === 'final' ? current.first.user : null;
      const malformed = (why: string): MechanismStep => ({ kind: 'failure', reason: `malformed ${mechanism.name} ${which} message: ${why}`, user });
      if (input.length > saslMessageBytesMax) return malformed(`longer than ${saslMessageBytesMax} bytes`);
      let message: string;
      try {
        message = fatal.decode(input);
      } catch {
        return malformed('not UTF-8');
      }
      try {
        return current.step === 'first' ? clientFirst(message) : clientFinal(message, current);
      } catch (err) {
        if (err instanceof Malformed) return malformed(err.message);
        throw err;
      }
    },
  };
}
