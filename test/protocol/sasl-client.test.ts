import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createMechanism, type ScramCredential } from '../../src/broker/auth/mechanism.ts';
import { type SaslCredentials, SaslError, type SaslExchange, saslLogin } from '../../src/protocol/sasl-client.ts';
import { saltedPassword, scramKeys, scramMechanismNamed } from '../../src/protocol/scram.ts';

/** RFC 7677 section 3: the SCRAM-SHA-256 example exchange. */
const rfc = {
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};
const rfcUser: SaslCredentials = { mechanism: 'SCRAM-SHA-256', username: 'user', password: 'pencil' };

/** A scripted server: answers each token with the next reply, recording what it was sent. */
function scripted(replies: string[]): { exchange: SaslExchange; sent: string[] } {
  const sent: string[] = [];
  const exchange = async (token: Buffer) => {
    sent.push(token.toString('utf8'));
    const reply = replies.shift();
    assert.ok(reply !== undefined, `unexpected token ${token}`);
    return Buffer.from(reply, 'utf8');
  };
  return { exchange, sent };
}

/** kb's broker-side mechanism (src/broker/auth) with one user, as the exchange. */
async function brokerMechanism(name: string, user: string, password: string): Promise<SaslExchange> {
  // PLAIN checks a SCRAM credential: the user has a SCRAM-SHA-512 one.
  const mechanism = scramMechanismNamed(name) ?? scramMechanismNamed('SCRAM-SHA-512')!;
  const salt = randomBytes(32);
  const credential: ScramCredential = { salt, iterations: 4096, ...scramKeys(mechanism, await saltedPassword(mechanism, password, salt, 4096, { stored: true })) };
  const users: Record<string, ScramCredential> = { [user]: credential };
  const server = createMechanism(name, (u) => users[u], { unknownUserKey: randomBytes(32) })!;
  return async (token) => {
    const step = await server.step(token);
    if (step.kind === 'failure') throw new Error(`server: ${step.reason}`);
    return step.bytes;
  };
}

describe('SASL client', () => {
  it('follows the RFC 7677 SCRAM-SHA-256 example byte for byte and accepts the server signature', async () => {
    const { exchange, sent } = scripted([rfc.serverFirst, rfc.serverFinal]);
    await saslLogin(rfcUser, exchange, rfc.clientNonce);
    assert.deepEqual(sent, [rfc.clientFirst, rfc.clientFinal]);
  });

  it('refuses a server signature that does not match (a server that does not know the password)', async () => {
    const { exchange } = scripted([rfc.serverFirst, 'v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=']);
    await assert.rejects(saslLogin(rfcUser, exchange, rfc.clientNonce), (err: Error) => err instanceof SaslError && /did not prove it knows the password/.test(err.message));
  });

  it('refuses a server nonce that does not extend its own, and iterations outside Kafka\'s bounds, before computing anything', async () => {
    for (const [serverFirst, pattern] of [
      ['r=someoneElse123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', /nonce does not extend/],
      [`r=${rfc.clientNonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`, /nonce does not extend/],
      [`r=${rfc.clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000000000`, /iterations, outside 4096\.\.16384/],
      [`r=${rfc.clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=100`, /iterations, outside/],
      [`r=${rfc.clientNonce}x,s=not base64!,i=4096`, /no valid base64 SCRAM salt/],
      ['e=unknown-user', /refused: unknown-user/],
      ['garbage', /malformed SCRAM message/],
    ] as const) {
      const { exchange, sent } = scripted([serverFirst]);
      await assert.rejects(saslLogin(rfcUser, exchange, rfc.clientNonce), (err: Error) => err instanceof SaslError && pattern.test(err.message), serverFirst);
      assert.equal(sent.length, 1, 'nothing more is sent');
    }
  });

  it('escapes "," and "=" in user names and sends PLAIN as authzid NUL user NUL password', async () => {
    const scram = scripted(['e=stop']);
    await assert.rejects(saslLogin({ ...rfcUser, username: 'a,b=c' }, scram.exchange, 'nonce'));
    assert.equal(scram.sent[0], 'n,,n=a=2Cb=3Dc,r=nonce');
    const plain = scripted(['']);
    await saslLogin({ mechanism: 'PLAIN', username: 'alice', password: 'p\u00a0w' }, plain.exchange);
    assert.equal(plain.sent[0], '\0alice\0p w', 'SASLprep maps a no-break space to a space');
  });

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: logs in to kb's broker-side mechanism, and a wrong password is refused by it`, async () => {
      await saslLogin({ mechanism, username: 'alice', password: 's3cret, sure=' }, await brokerMechanism(mechanism, 'alice', 's3cret, sure='));
      await assert.rejects(saslLogin({ mechanism, username: 'alice', password: 'wrong' }, await brokerMechanism(mechanism, 'alice', 's3cret, sure=')), /server: Authentication failed/);
    });
  }
});
