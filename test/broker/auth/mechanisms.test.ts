import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { saslPlain, saslScramSha } from '@platformatic/kafka';
import { createMechanism, type MechanismStep, type ScramCredential, type ServerMechanism } from '../../../src/broker/auth/mechanism.ts';
import { saltedPassword, scramKeys, scramMechanismNamed, type ScramMechanism } from '../../../src/protocol/scram.ts';
import { saslMessageBytesMax } from '../../../src/limits.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { planScramAlterations } from '../../../src/controller/scram-credentials.ts';

const unknownUserKey = randomBytes(32);

async function credentialFor(mechanism: ScramMechanism, password: string, salt = randomBytes(32), iterations = 4096): Promise<ScramCredential> {
  const salted = await saltedPassword(mechanism, password, salt, iterations, { stored: true });
  return { salt, iterations, ...scramKeys(mechanism, salted) };
}

/** A lookup over `users`: name -> mechanism name -> credential. */
function lookupOf(users: Record<string, Record<string, ScramCredential>>) {
  return (user: string, mechanism: ScramMechanism) => users[user]?.[mechanism.name];
}

function mechanism(name: string, users: Record<string, Record<string, ScramCredential>>, serverNonce?: () => string): ServerMechanism {
  const created = createMechanism(name, lookupOf(users), { unknownUserKey, serverNonce });
  assert.ok(created);
  return created;
}

/** Runs a real client's SASL code (@platformatic/kafka's) against `server`: resolves when the client accepts, rejects as the client reports. */
function platformaticLogin(server: ServerMechanism, user: string, password: string): Promise<unknown> {
  const authenticateAPI = (_connection: unknown, bytes: Buffer, callback: (err: Error | null, response?: { authBytes: Buffer }) => void) => {
    server.step(bytes).then((step) => {
      if (step.kind === 'failure') callback(new Error(step.reason));
      else callback(null, { authBytes: step.bytes });
    }, callback);
  };
  if (server.name === 'PLAIN') return saslPlain.authenticate(authenticateAPI as any, null as any, user, password);
  return saslScramSha.authenticate(authenticateAPI as any, null as any, server.name.slice('SCRAM-'.length) as any, user, password);
}

const text = (step: MechanismStep) => (step.kind === 'failure' ? assert.fail(`failed: ${step.reason}`) : step.bytes.toString());

describe('SCRAM server mechanism', () => {
  const sha256 = scramMechanismNamed('SCRAM-SHA-256')!;

  it('follows the RFC 7677 SCRAM-SHA-256 example exchange byte for byte', async () => {
    const user = { 'SCRAM-SHA-256': await credentialFor(sha256, 'pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096) };
    const server = mechanism('SCRAM-SHA-256', { user }, () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    const first = await server.step(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    assert.equal(text(first), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const final = await server.step(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
    assert.equal(final.kind, 'success');
    assert.equal(text(final), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    assert.deepEqual(final.kind === 'success' && final.principal, 'user');
    assert.equal((await server.step(Buffer.from('c=biws'))).kind, 'failure', 'the exchange is over after success');
  });

  for (const name of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    it(`${name}: a real client (@platformatic/kafka) logs in, and fails with a wrong password and as an unknown user alike`, async () => {
      const users = { alice: { [name]: await credentialFor(scramMechanismNamed(name)!, 's3cret, really=') } };
      await platformaticLogin(mechanism(name, users), 'alice', 's3cret, really=');
      const failure = (err: Error) => (err.cause as Error | undefined)?.message ?? err.message;
      const wrong = await platformaticLogin(mechanism(name, users), 'alice', 'nope').then(() => null, failure);
      const unknown = await platformaticLogin(mechanism(name, users), 'mallory', 'nope').then(() => null, failure);
      assert.match(wrong ?? '', /invalid credentials/);
      assert.equal(unknown, wrong, 'an unknown user reads what a wrong password reads');
    });
  }

  it('shows an unknown user a salt and iterations like a real user: the same on every attempt, nothing that tells it apart', async () => {
    const users = { alice: { 'SCRAM-SHA-256': await credentialFor(sha256, 'pw') } };
    const challenge = async (user: string) => text(await mechanism('SCRAM-SHA-256', users, () => 'S').step(Buffer.from(`n,,n=${user},r=C`)));
    const known = await challenge('alice');
    const unknown = await challenge('bob');
    assert.match(unknown, /^r=CS,s=[A-Za-z0-9+/]+=*,i=4096$/);
    assert.equal(Buffer.from(/s=([^,]+)/.exec(unknown)![1], 'base64').length, Buffer.from(/s=([^,]+)/.exec(known)![1], 'base64').length);
    assert.equal(await challenge('bob'), unknown, 'the same fake salt every time');
    assert.notEqual(await challenge('carol'), unknown, 'each unknown name has its own');
  });

  /** The server's answer to a client-final message sent with `sentNonce` and a proof computed correctly over it: only the nonce check can refuse it. */
  async function finalWithNonce(sentNonce: string): Promise<MechanismStep> {
    const password = 'pw';
    const credential = await credentialFor(sha256, password);
    const server = mechanism('SCRAM-SHA-256', { alice: { 'SCRAM-SHA-256': credential } }, () => 'SERVERNONCE');
    const first = text(await server.step(Buffer.from('n,,n=alice,r=clientnonce')));
    assert.match(first, /^r=clientnonceSERVERNONCE,/);
    const withoutProof = `c=biws,r=${sentNonce}`;
    const authMessage = `n=alice,r=clientnonce,${first},${withoutProof}`;
    const salted = await saltedPassword(sha256, password, credential.salt, credential.iterations, { stored: false });
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const signature = createHmac('sha256', createHash('sha256').update(clientKey).digest()).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
    return server.step(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`));
  }

  it('always extends the client nonce, and refuses a final message whose nonce is not the one it sent (CVE-2024-56128)', async () => {
    for (const sentNonce of ['clientnonce', 'clientnonceSERVERNONCEtampered', 'other', 'SERVERNONCE', 'clientnonceclientnonceSERVERNONCEx', 'xclientnonceSERVERNONCE']) {
      const final = await finalWithNonce(sentNonce);
      assert.equal(final.kind, 'failure', sentNonce);
      assert.match(final.kind === 'failure' ? final.reason : '', /nonce is not the one the server sent/);
    }
  });

  it("accepts the nonce librdkafka before 2.6.1 sends: the client's nonce, then the server's whole", async () => {
    assert.equal((await finalWithNonce('clientnonceSERVERNONCE')).kind, 'success');
    assert.equal((await finalWithNonce('clientnonceclientnonceSERVERNONCE')).kind, 'success');
  });

  it('refuses malformed and oversized messages with a reason, and never throws', async () => {
    const users = { alice: { 'SCRAM-SHA-256': await credentialFor(sha256, 'pw') } };
    const firsts: [string | Buffer, RegExp][] = [
      ['p=tls-unique,,n=alice,r=x', /must start with 'n,,'/],
      ['y,,n=alice,r=x', /must start with 'n,,'/],
      ['n,a=bob,n=alice,r=x', /must start with 'n,,'/],
      ['n,,m=ext,n=alice,r=x', /mandatory extensions/],
      ['n,,r=x,n=alice', /user name/],
      ['n,,n=,r=x', /user name/],
      ['n,,n=al=ice,r=x', /'=' that is not =2C or =3D/],
      ['n,,n=alice', /nonce/],
      ['n,,n=alice,r=', /nonce/],
      ['n,,n=alice,r=a\u0080b', /nonce/],
      ['n,,garbage', /not an attribute/],
      ['', /must start/],
      [Buffer.from([0x6e, 0x2c, 0x2c, 0xff]), /not UTF-8/],
      [`n,,n=alice,r=${'x'.repeat(saslMessageBytesMax)}`, /longer than 1024 bytes/],
    ];
    for (const [input, reason] of firsts) {
      const step = await mechanism('SCRAM-SHA-256', users).step(Buffer.from(input));
      assert.equal(step.kind, 'failure', String(input));
      assert.match(step.kind === 'failure' ? step.reason : '', reason);
    }
    const finals: [string, RegExp][] = [
      ['c=biws,r=xS', /proof/],
      ['c=eSws,r=xS,p=AAAA', /c=biws/],
      ['r=xS,c=biws,p=AAAA', /c=biws/],
      ['c=biws,p=AAAA', /nonce/],
      ['c=biws,r=xS,p=AAAA', /proof must be 32 bytes/],
      [`c=biws,r=xS,p=${'A'.repeat(43)}!`, /proof must be 32 bytes/],
      [`c=biws,r=xS,p=${'A'.repeat(2000)}`, /longer than/],
    ];
    for (const [input, reason] of finals) {
      const server = mechanism('SCRAM-SHA-256', users, () => 'S');
      assert.equal((await server.step(Buffer.from('n,,n=alice,r=x'))).kind, 'challenge');
      const step = await server.step(Buffer.from(input));
      assert.equal(step.kind, 'failure', input);
      assert.match(step.kind === 'failure' ? step.reason : '', reason);
      assert.equal(step.kind === 'failure' && step.user, 'alice', 'the claimed user is named for the log');
    }
  });

  it('decodes =2C and =3D in user names', async () => {
    const users = { 'a,b=c': { 'SCRAM-SHA-256': await credentialFor(sha256, 'pw') } };
    await platformaticLogin(mechanism('SCRAM-SHA-256', users), 'a,b=c', 'pw');
    const server = mechanism('SCRAM-SHA-256', users, () => 'S');
    const first = text(await server.step(Buffer.from('n,,n=a=2Cb=3Dc,r=x')));
    assert.equal(first, `r=xS,s=${users['a,b=c']['SCRAM-SHA-256'].salt.toString('base64')},i=4096`);
  });
});

describe('PLAIN server mechanism', () => {
  const sha512 = scramMechanismNamed('SCRAM-SHA-512')!;
  const sha256 = scramMechanismNamed('SCRAM-SHA-256')!;

  it('accepts the password of a SCRAM credential (either mechanism), through a real client', async () => {
    const users = {
      alice: { 'SCRAM-SHA-512': await credentialFor(sha512, 'wonder land') },
      bob: { 'SCRAM-SHA-256': await credentialFor(sha256, 'builder') },
    };
    await platformaticLogin(mechanism('PLAIN', users), 'alice', 'wonder land');
    await platformaticLogin(mechanism('PLAIN', users), 'bob', 'builder');
    const step = await mechanism('PLAIN', users).step(Buffer.from('alice\0alice\0wonder land'));
    assert.deepEqual(step, { kind: 'success', principal: 'alice', bytes: Buffer.alloc(0) });
  });

  it('normalizes the password with SASLprep as the credential was', async () => {
    const users = { alice: { 'SCRAM-SHA-256': await credentialFor(sha256, 'I\u00adX') } };
    assert.equal((await mechanism('PLAIN', users).step(Buffer.from('\0alice\0IX'))).kind, 'success');
  });

  it('fails a wrong password and an unknown user with the same reason', async () => {
    const users = { alice: { 'SCRAM-SHA-256': await credentialFor(sha256, 'right') } };
    const wrong = await mechanism('PLAIN', users).step(Buffer.from('\0alice\0wrong'));
    const unknown = await mechanism('PLAIN', users).step(Buffer.from('\0mallory\0wrong'));
    assert.deepEqual(wrong, { kind: 'failure', reason: 'Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN', user: 'alice' });
    assert.deepEqual(unknown, { ...wrong, user: 'mallory' });
  });

  it('refuses malformed, oversized and repeated messages and another authorization id', async () => {
    const users = { alice: { 'SCRAM-SHA-256': await credentialFor(sha256, 'pw') } };
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('alice\0pw'), /malformed/],
      [Buffer.from('\0\0pw'), /malformed/],
      [Buffer.from('\0alice\0'), /malformed/],
      [Buffer.from('\0alice\0pw\0more'), /malformed/],
      [Buffer.from('bob\0alice\0pw'), /authorization id/],
      [Buffer.from([0, 0x61, 0, 0xff]), /not UTF-8/],
      [Buffer.from(`\0alice\0${'x'.repeat(saslMessageBytesMax)}`), /longer than/],
    ];
    for (const [input, reason] of cases) {
      const step = await mechanism('PLAIN', users).step(input);
      assert.equal(step.kind, 'failure');
      assert.match(step.kind === 'failure' ? step.reason : '', reason);
    }
    const once = mechanism('PLAIN', users);
    assert.equal((await once.step(Buffer.from('\0alice\0pw'))).kind, 'success');
    assert.equal((await once.step(Buffer.from('\0alice\0pw'))).kind, 'failure');
  });

  it('offers no other mechanism', () => {
    assert.equal(createMechanism('GSSAPI', () => undefined, { unknownUserKey }), null);
    assert.equal(createMechanism('SCRAM-SHA-1', () => undefined, { unknownUserKey }), null);
  });
});

describe('mechanisms over the metadata image', () => {
  it('a credential a client set through AlterUserScramCredentials logs in with SCRAM and with PLAIN', async () => {
    const image = new MetadataImage();
    const salt = randomBytes(16);
    // The client derives the salted password (here @platformatic/kafka's own derivation), the controller records the keys.
    const salted = await saslScramSha.hi(saslScramSha.ScramAlgorithms['SHA-256'], 'from-a-client', salt, 4096);
    const { records } = planScramAlterations(image, [], [{ name: 'zoe', mechanism: 1, iterations: 4096, salt, saltedPassword: salted }]);
    for (const record of records) image.apply(record);
    const lookup = (user: string, m: ScramMechanism) => image.scramCredential(user, m.type);
    for (const name of ['SCRAM-SHA-256', 'PLAIN']) {
      await platformaticLogin(createMechanism(name, lookup, { unknownUserKey })!, 'zoe', 'from-a-client');
      await assert.rejects(platformaticLogin(createMechanism(name, lookup, { unknownUserKey })!, 'zoe', 'wrong'));
    }
    await assert.rejects(platformaticLogin(createMechanism('SCRAM-SHA-512', lookup, { unknownUserKey })!, 'zoe', 'from-a-client'), 'no SCRAM-SHA-512 credential');
  });
});
