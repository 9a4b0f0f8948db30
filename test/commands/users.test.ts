/**
 * Users against a real broker: kb user create|list|set-password|delete
 * with the password from KB_PASSWORD, --password-file or a TTY prompt
 * (never argv), --json on list; @platformatic/kafka's
 * AlterUserScramCredentials and DescribeUserScramCredentials (a real
 * client's requests and salted password) with Kafka's error codes; the
 * credentials survive a restart (replayed from the metadata log); and
 * `kb broker start --bootstrap-user` creates the first user only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { alterUserScramCredentialsV0, Connection, describeUserScramCredentialsV0, saslScramSha } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { onPty } from '../helpers/pty.ts';
import { repoRoot } from '../helpers/tools.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

let dir: string;
let broker: RunningBroker;
let env: NodeJS.ProcessEnv;
const kb = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runKb(args, { env: { ...env, ...extraEnv } });

async function listed(): Promise<Record<string, string[]>> {
  const r = await kb(['user', 'list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const users: { name: string; mechanisms: { mechanism: string; iterations: number }[] }[] = JSON.parse(r.stdout).users;
  return Object.fromEntries(users.map((u) => [u.name, u.mechanisms.map((m) => `${m.mechanism}/${m.iterations}`)]));
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kb-users-'));
  broker = await startBroker({ dataDir: path.join(dir, 'data') });
  env = { KB_BROKERS: broker.address, KB_PASSWORD: '' };
});
after(async () => {
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('kb user create, list, set-password and delete, with the password never on argv', async () => {
  const created = await kb(['user', 'create', 'alice'], { KB_PASSWORD: 'alice-pw' });
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'created user alice (SCRAM-SHA-512, 4096 iterations)\n');
  const again = await kb(['user', 'create', 'alice'], { KB_PASSWORD: 'other' });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /user 'alice' exists already: change its password with kb user set-password alice/);

  const passwordFile = path.join(dir, 'bob.pw');
  await writeFile(passwordFile, 'bob-pw\n');
  const fromFile = await kb(['user', 'create', 'bob', '--mechanism', 'SCRAM-SHA-256', '--iterations', '8192', '--password-file', passwordFile, '--json']);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.deepEqual(JSON.parse(fromFile.stdout), { user: 'bob', mechanism: 'SCRAM-SHA-256', iterations: 8192 });

  const onArgv = await kb(['user', 'create', 'carol', '--password', 'hunter2']);
  assert.equal(onArgv.code, 2);
  assert.match(onArgv.stderr, /--password is refused: a password on the command line shows in ps and in shell history; pass it with --password-file FILE or the KB_PASSWORD environment variable/);
  const none = await kb(['user', 'create', 'carol']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no password for user carol: pass it with --password-file FILE/);
  const badPassword = await kb(['user', 'create', 'carol'], { KB_PASSWORD: 'bell\u0007' });
  assert.equal(badPassword.code, 1);
  assert.match(badPassword.stderr, /this password cannot be used: Prohibited character/);
  const fewIterations = await kb(['user', 'create', 'carol', '--iterations', '100'], { KB_PASSWORD: 'x' });
  assert.equal(fewIterations.code, 2);

  assert.deepEqual(await listed(), { alice: ['SCRAM-SHA-512/4096'], bob: ['SCRAM-SHA-256/8192'] });
  const table = await kb(['user', 'list']);
  assert.match(table.stdout, /USER\s+MECHANISMS\n.*alice\s+SCRAM-SHA-512 \(4096 iterations\)/s);

  const added = await kb(['user', 'set-password', 'alice', '--mechanism', 'SCRAM-SHA-256'], { KB_PASSWORD: 'alice-pw2' });
  assert.equal(added.code, 0, added.stderr);
  const both = await kb(['user', 'set-password', 'alice', '--iterations', '5000', '--json'], { KB_PASSWORD: 'alice-pw3' });
  assert.deepEqual(JSON.parse(both.stdout), { user: 'alice', mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'], iterations: 5000 }, 'every mechanism the user has');
  assert.deepEqual((await listed()).alice, ['SCRAM-SHA-256/5000', 'SCRAM-SHA-512/5000']);
  const nobody = await kb(['user', 'set-password', 'nobody'], { KB_PASSWORD: 'x' });
  assert.equal(nobody.code, 1);
  assert.match(nobody.stderr, /user 'nobody' does not exist: create it with kb user create nobody/);

  const unconfirmed = await kb(['user', 'delete', 'alice']);
  assert.equal(unconfirmed.code, 2);
  assert.match(unconfirmed.stderr, /add --yes/);
  const deleted = await kb(['user', 'delete', 'alice', '--yes']);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, 'deleted user alice (SCRAM-SHA-256, SCRAM-SHA-512)\n');
  const gone = await kb(['user', 'delete', 'alice', '--yes']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /user 'alice' has no SCRAM credential/);
  assert.deepEqual(await listed(), { bob: ['SCRAM-SHA-256/8192'] });
});

test('on a TTY, kb user create asks for the password twice and changes nothing when they differ', async () => {
  const kbOnPty = (args: string[]) => onPty([process.execPath, path.join(repoRoot, 'bin/run.js'), ...args], { env: { ...env, NO_COLOR: '1' }, cwd: repoRoot });
  const differ = kbOnPty(['user', 'create', 'dave']);
  await differ.expect(/Password for user dave:/);
  differ.type('one\r');
  await differ.expect(/Again, to confirm:/);
  differ.type('two\r');
  assert.equal(await differ.exited, 1, differ.output());
  assert.match(differ.output(), /the two passwords differ: nothing was changed/);
  assert.doesNotMatch(differ.output(), /\bone\b/, 'the password is not echoed');

  const same = kbOnPty(['user', 'create', 'dave']);
  await same.expect(/Password for user dave:/);
  same.type('secret\r');
  await same.expect(/Again, to confirm:/);
  same.type('secret\r');
  assert.equal(await same.exited, 0, same.output());
  assert.ok((await listed()).dave);
});

test("a real client's AlterUserScramCredentials and DescribeUserScramCredentials get Kafka's answers", async () => {
  const connection = new Connection('kb-users-test');
  await connection.connect(broker.host, broker.port);
  try {
    const salt = randomBytes(16);
    const salted = await saslScramSha.hi(saslScramSha.ScramAlgorithms['SHA-256'], 'erin-pw', salt, 4096);
    const ok = await alterUserScramCredentialsV0.api.async(connection, [], [{ name: 'erin', mechanism: 1, iterations: 4096, salt, saltedPassword: salted }]);
    assert.deepEqual(ok.results, [{ user: 'erin', errorCode: 0, errorMessage: null }]);

    const refused = await alterUserScramCredentialsV0.api.async(
      connection,
      [{ name: 'ghost', mechanism: 1 }],
      [{ name: 'few', mechanism: 1, iterations: 1000, salt, saltedPassword: salted }, { name: 'sha1', mechanism: 3, iterations: 4096, salt, saltedPassword: salted }],
    ).then(() => assert.fail('expected errors'), (err: { response: { results: { user: string; errorCode: number }[] } }) => err.response.results);
    assert.deepEqual(Object.fromEntries(refused.map((r) => [r.user, r.errorCode])), {
      ghost: ErrorCode.RESOURCE_NOT_FOUND,
      few: ErrorCode.UNACCEPTABLE_CREDENTIAL,
      sha1: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
    });

    const described = await describeUserScramCredentialsV0.api.async(connection, [{ name: 'erin' }]);
    assert.deepEqual(described.results, [{ user: 'erin', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 1, iterations: 4096 }] }]);
    const unknown = await describeUserScramCredentialsV0.api.async(connection, [{ name: 'ghost' }]).then(
      () => assert.fail('expected an error'),
      (err: { response: { results: { user: string; errorCode: number; errorMessage: string }[] } }) => err.response.results,
    );
    assert.deepEqual(unknown, [{ user: 'ghost', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist: ghost', credentialInfos: [] }]);
    const twice = await describeUserScramCredentialsV0.api.async(connection, [{ name: 'erin' }, { name: 'erin' }]).then(
      () => assert.fail('expected an error'),
      (err: { response: { results: { user: string; errorCode: number }[] } }) => err.response.results,
    );
    assert.deepEqual(twice.map((r) => [r.user, r.errorCode]), [['erin', ErrorCode.DUPLICATE_RESOURCE]]);
  } finally {
    await connection.close();
  }
  assert.deepEqual((await listed()).erin, ['SCRAM-SHA-256/4096']);
});

test('users survive a restart, and --bootstrap-user creates the first user of a new cluster only', async () => {
  const before = await listed();
  assert.ok(Object.keys(before).length > 0);
  await broker.stop();
  const passwordFile = path.join(dir, 'admin.pw');
  await writeFile(passwordFile, 'admin-pw\n');
  broker = await startBroker({ dataDir: path.join(dir, 'data'), args: ['--bootstrap-user', 'admin', '--bootstrap-password-file', passwordFile] });
  env = { ...env, KB_BROKERS: broker.address };
  assert.deepEqual(await listed(), before, 'replayed from the metadata log; the cluster had users, so no bootstrap user');
  assert.match(broker.log(), /bootstrap user admin not created: the cluster has users already/);

  const fresh = await startBroker({ args: ['--bootstrap-user', 'admin'], env: { KB_BOOTSTRAP_PASSWORD: 'admin-pw' } });
  try {
    assert.match(fresh.log(), /created bootstrap user admin \(SCRAM-SHA-512\)/);
    const r = await runKb(['user', 'list', '--json'], { env: { KB_BROKERS: fresh.address } });
    assert.deepEqual(JSON.parse(r.stdout).users, [{ name: 'admin', mechanisms: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }]);
  } finally {
    await fresh.stop();
  }
});

test('kb broker start refuses a bootstrap password on argv and a bootstrap user without a password', async () => {
  const onArgv = await runKb(['broker', 'start', '--data-dir', path.join(dir, 'never'), '--bootstrap-user', 'admin', '--bootstrap-password', 'hunter2'], { env: { KB_BOOTSTRAP_PASSWORD: '' } });
  const unwrapped = (text: string) => text.replace(/\s*\n ›\s*/g, ' ');
  assert.equal(onArgv.code, 2);
  assert.match(unwrapped(onArgv.stderr), /--bootstrap-password is refused: .* pass it with --bootstrap-password-file FILE or the KB_BOOTSTRAP_PASSWORD environment variable/);
  const none = await runKb(['broker', 'start', '--data-dir', path.join(dir, 'never'), '--bootstrap-user', 'admin'], { env: { KB_BOOTSTRAP_PASSWORD: '' } });
  assert.equal(none.code, 2);
  assert.match(unwrapped(none.stderr), /--bootstrap-user admin needs a password/);
});
