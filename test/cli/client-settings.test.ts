import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkConfig, connectionSecurity, parseConfigLines } from '../../src/cli/client-config.ts';
import { explicitConfig, resolveClientConfig } from '../../src/cli/client-settings.ts';
import { UsageError, UserError } from '../../src/cli/kb-command.ts';
import { loadProfiles, profilesFile, saveProfiles } from '../../src/cli/profiles.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kb-client-settings-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const noPassword = async () => assert.fail('no password should be asked for');

describe('client settings', () => {
  it("reads kcat's config file format: key=value lines, comments, blank lines, spaces and CRLF", () => {
    const text = '# kcat.conf\r\nsecurity.protocol=SASL_SSL\r\n\r\n  sasl.mechanisms = SCRAM-SHA-512 \nsasl.password=a=b#c\n';
    assert.deepEqual(parseConfigLines(text, 'f'), [['security.protocol', 'SASL_SSL'], ['sasl.mechanisms', 'SCRAM-SHA-512'], ['sasl.password', 'a=b#c']]);
    assert.throws(() => parseConfigLines('security.protocol\n', 'f'), (err: Error) => err instanceof UsageError && /f line 1: expected key=value/.test(err.message));
  });

  it("folds librdkafka's aliases and refuses unknown keys with a suggestion", () => {
    assert.deepEqual(checkConfig([['sasl.mechanisms', 'PLAIN'], ['metadata.broker.list', 'h:1']], '-X'), { 'sasl.mechanism': 'PLAIN', 'bootstrap.servers': 'h:1' });
    assert.throws(() => checkConfig([['ssl.ca.locaton', 'x']], '-X'), (err: Error) => err instanceof UsageError && /-X: unknown client setting ssl\.ca\.locaton: did you mean ssl\.ca\.location\?/.test(err.message));
    assert.throws(() => checkConfig([['zzzzzzzzzzzzzzzzzzzzzz', 'x']], '-X'), (err: Error) => !/did you mean/.test(err.message) && /kb takes bootstrap\.servers/.test(err.message));
  });

  it('refuses passwords on argv, naming the ways that work; -X wins over -F', async () => {
    const file = path.join(dir, 'client.conf');
    await writeFile(file, 'sasl.username=alice\nsasl.password=from-file\nsecurity.protocol=SASL_SSL\n');
    assert.deepEqual(await explicitConfig({ 'config-file': file, property: ['security.protocol=SASL_PLAINTEXT'] }), {
      'sasl.username': 'alice',
      'sasl.password': 'from-file',
      'security.protocol': 'SASL_PLAINTEXT',
    });
    for (const key of ['sasl.password', 'ssl.key.password']) {
      await assert.rejects(explicitConfig({ property: [`${key}=secret`] }), (err: Error) => err instanceof UsageError && new RegExp(`-X ${key} is refused: .*shows in ps.*-F`).test(err.message));
    }
    await assert.rejects(explicitConfig({ property: ['sasl.password=x'] }), /KB_SASL_PASSWORD/);
    await assert.rejects(explicitConfig({ 'config-file': path.join(dir, 'missing.conf') }), (err: Error) => err instanceof UserError && /-F .*missing\.conf: no such file/.test(err.message));
  });

  it('precedence: -b over -X/-F over the environment over the profile; the default brokers last', async () => {
    const env = { XDG_CONFIG_HOME: path.join(dir, 'precedence') };
    assert.equal((await resolveClientConfig({}, env))['bootstrap.servers'], '127.0.0.1:9092');
    await saveProfiles({ current: 'p', profiles: { p: { brokers: 'profile:1', config: { 'sasl.username': 'alice', 'sasl.password': 'from-profile', 'security.protocol': 'SASL_SSL' } } } }, env);
    const fromProfile = await resolveClientConfig({}, env);
    assert.deepEqual(fromProfile, { 'bootstrap.servers': 'profile:1', 'sasl.username': 'alice', 'sasl.password': 'from-profile', 'security.protocol': 'SASL_SSL' });
    const withEnv = { ...env, KB_BROKERS: 'env:1', KB_SASL_PASSWORD: 'from-env' };
    assert.deepEqual(await resolveClientConfig({}, withEnv), { ...fromProfile, 'bootstrap.servers': 'env:1', 'sasl.password': 'from-env' });
    const file = path.join(dir, 'precedence.conf');
    await writeFile(file, 'bootstrap.servers=file:1\nsasl.password=from-file\n');
    const fromFile = await resolveClientConfig({ 'config-file': file, property: ['sasl.username=bob'] }, withEnv);
    assert.deepEqual(fromFile, { ...fromProfile, 'bootstrap.servers': 'file:1', 'sasl.password': 'from-file', 'sasl.username': 'bob' });
    assert.equal((await resolveClientConfig({ brokers: 'flag:1', 'config-file': file }, withEnv))['bootstrap.servers'], 'flag:1');
    await assert.rejects(resolveClientConfig({ profile: 'other' }, env), (err: Error) => err instanceof UserError && /no profile named other: there are p/.test(err.message));
  });

  it('turns settings into connection security: SASL needs a mechanism and a user, and asks for a password only when none is set', async () => {
    assert.deepEqual(await connectionSecurity({}, noPassword), {});
    await assert.rejects(connectionSecurity({ 'security.protocol': 'TLS' }, noPassword), /security\.protocol TLS: expected one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/);
    await assert.rejects(connectionSecurity({ 'security.protocol': 'sasl_plaintext', 'sasl.username': 'a' }, noPassword), /needs sasl\.mechanism: it is not set; use one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/);
    await assert.rejects(connectionSecurity({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'GSSAPI', 'sasl.username': 'a' }, noPassword), /GSSAPI is not supported/);
    await assert.rejects(connectionSecurity({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN' }, noPassword), /needs sasl\.username/);
    const asked: string[] = [];
    const security = await connectionSecurity({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'scram-sha-256', 'sasl.username': 'alice' }, async (user) => (asked.push(user), 'typed'));
    assert.deepEqual(security, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'typed' } });
    assert.deepEqual(asked, ['alice']);
    await assert.rejects(connectionSecurity({ 'security.protocol': 'SSL', 'ssl.ca.location': path.join(dir, 'nope.pem') }, noPassword), /ssl\.ca\.location .*nope\.pem: no such file/);
    await assert.rejects(connectionSecurity({ 'security.protocol': 'SSL', 'ssl.endpoint.identification.algorithm': 'dns' }, noPassword), /expected https .* or none/);
  });
});

describe('profiles file', () => {
  it('is written 0600 in a 0700 dir, and refused when others can read it', async () => {
    const env = { XDG_CONFIG_HOME: path.join(dir, 'modes') };
    await saveProfiles({ current: null, profiles: { a: { config: { 'sasl.password': 'x' } } } }, env);
    assert.equal((await stat(profilesFile(env))).mode & 0o777, 0o600);
    assert.equal((await stat(path.dirname(profilesFile(env)))).mode & 0o777, 0o700);
    assert.deepEqual((await loadProfiles(env)).profiles, { a: { config: { 'sasl.password': 'x' } } });
    await chmod(profilesFile(env), 0o644);
    await assert.rejects(loadProfiles(env), (err: Error) => err instanceof UserError && /readable by others \(mode 644\).*chmod 600/.test(err.message));
  });
});
