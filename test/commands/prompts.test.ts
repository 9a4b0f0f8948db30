/**
 * The terminal side of the CLI on a real pseudo-terminal (util-linux
 * `script`): kb topic create asks for a missing name and partition count;
 * kb topic delete asks for the name typed back and deletes nothing on a
 * mismatch; kb consume -e into a file draws a progress bar on stderr.
 * (The non-TTY refusals are in admin.test.ts.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { onPty } from '../helpers/pty.ts';
import { repoRoot } from '../helpers/tools.ts';

let broker: RunningBroker;
let env: NodeJS.ProcessEnv;
const kbOnPty = (args: string[]) => onPty([process.execPath, path.join(repoRoot, 'bin/run.js'), ...args], { env, cwd: repoRoot });

before(async () => {
  broker = await startBroker();
  env = { KB_BROKERS: broker.address, NO_COLOR: '1' };
});
after(() => broker?.stop());

test('on a TTY, kb topic create asks for the missing name and partition count', async () => {
  const session = kbOnPty(['topic', 'create', '--json']);
  await session.expect(/Topic name:/);
  session.type('asked\r');
  await session.expect(/Partitions for asked:/);
  session.type('0\r');
  await session.expect(/enter a whole number, at least 1/);
  session.type('\x7f3\r');
  assert.equal(await session.exited, 0, session.output());
  assert.match(session.output(), /"created": true/);

  const described = await runKb(['topic', 'describe', 'asked', '--json'], { env });
  assert.equal(JSON.parse(described.stdout).partitions.length, 3);
});

test('on a TTY, kb topic delete wants the name typed back; a mismatch deletes nothing', async () => {
  assert.equal((await runKb(['topic', 'create', 'precious', '--partitions', '1'], { env })).code, 0);

  const wrong = kbOnPty(['topic', 'delete', 'precious']);
  await wrong.expect(/Type "precious" to confirm:/);
  wrong.type('precios\r');
  assert.equal(await wrong.exited, 1, wrong.output());
  assert.match(wrong.output(), /"precios" does not match "precious": nothing was changed/);
  assert.equal((await runKb(['topic', 'describe', 'precious'], { env })).code, 0, 'still there');

  const right = kbOnPty(['topic', 'delete', 'precious']);
  await right.expect(/Deleting topic precious with all its records cannot be undone\.\s+\S+ Type "precious" to confirm:/);
  right.type('precious\r');
  assert.equal(await right.exited, 0, right.output());
  assert.match(right.output(), /deleted topic precious/);
  assert.equal((await runKb(['topic', 'describe', 'precious'], { env })).code, 1, 'gone');
});

test('on a TTY, kb consume -e into a file shows a progress bar on stderr', async (t) => {
  assert.equal((await runKb(['topic', 'create', 'progress', '--partitions', '2'], { env })).code, 0);
  assert.equal((await runKb(['produce', 'progress'], { env, input: 'a\nb\nc\nd\n' })).code, 0);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-progress-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'out.txt');
  const session = onPty(['sh', '-c', `"$0" "$1" consume progress -e > "$2"`, process.execPath, path.join(repoRoot, 'bin/run.js'), file], { env, cwd: repoRoot });
  assert.equal(await session.exited, 0, session.output());
  assert.match(session.output(), /consuming \[#+-*\] \d+% \d\/4/);
  assert.equal((await readFile(file, 'utf8')).split('\n').filter(Boolean).sort().join(','), 'a,b,c,d', 'stdout holds only the data');
});
