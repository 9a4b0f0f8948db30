/**
 * The terminal side of the CLI on a real pseudo-terminal (util-linux
 * `script`): kb topic create asks for a missing name;
 * kb topic delete asks for the name typed back and deletes nothing on a
 * mismatch; Ctrl-D at such a question cancels cleanly (and reset-offsets
 * shows its offsets before asking); kb consume -e into a file draws a
 * progress bar on stderr; tables have a rule under the header only.
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

test("on a TTY, kb topic create asks for the missing name (the partition count is the broker's num.partitions)", async () => {
  const session = kbOnPty(['topic', 'create', '--json']);
  await session.expect(/Topic name:/);
  session.type('asked\r');
  assert.equal(await session.exited, 0, session.output());
  assert.match(session.output(), /"created": true/);

  const described = await runKb(['topic', 'describe', 'asked', '--json'], { env });
  assert.equal(JSON.parse(described.stdout).partitions.length, 1);
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

test('Ctrl-D at a confirmation prompt cancels cleanly, exit 1, and changes nothing', async () => {
  assert.equal((await runKb(['topic', 'create', 'kept', '--partitions', '1'], { env })).code, 0);
  const deleting = kbOnPty(['topic', 'delete', 'kept']);
  await deleting.expect(/Type "kept" to confirm:/);
  deleting.type('\x04');
  assert.equal(await deleting.exited, 1, deleting.output());
  assert.match(deleting.output(), /cancelled: nothing was changed/);
  assert.doesNotMatch(deleting.output(), /unsettled top-level await|Error: .*at /);
  assert.equal((await runKb(['topic', 'describe', 'kept'], { env })).code, 0, 'still there');

  // reset-offsets shows the offsets it would commit before asking, then Ctrl-D commits nothing.
  assert.equal((await runKb(['produce', 'kept'], { env, input: 'a\nb\nc\n' })).code, 0);
  const resetting = kbOnPty(['group', 'reset-offsets', 'idle', '--topic', 'kept', '--to', 'latest', '--execute']);
  await resetting.expect(/Type "idle" to confirm:/);
  assert.match(resetting.output(), /TOPIC\s+PARTITION\s+CURRENT\s+NEW[\s\S]*kept\s+0\s+\S*\s+3[\s\S]*Type "idle" to confirm:/, 'the plan comes before the question');
  resetting.type('\x04');
  assert.equal(await resetting.exited, 1, resetting.output());
  assert.match(resetting.output(), /cancelled: nothing was changed/);
  const described = await runKb(['group', 'describe', 'idle', '--json'], { env });
  assert.match(described.stderr, /group 'idle' does not exist/, 'no offset was committed (a commit would have made the group)');
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

test('on a TTY, tables have a rule under the header and none between rows', async () => {
  assert.equal((await runKb(['topic', 'create', 'tty-table', '--partitions', '3'], { env })).code, 0);
  const session = onPty([process.execPath, path.join(repoRoot, 'bin/run.js'), 'topic', 'offsets', 'tty-table'], { env: { ...env, NO_COLOR: '' }, cwd: repoRoot });
  assert.equal(await session.exited, 0, session.output());
  const lines = session.output().split(/\r?\n/).filter((l) => l.trim() !== '');
  assert.equal(lines.filter((l) => l.startsWith('├')).length, 1, session.output());
  assert.equal(lines.findIndex((l) => l.startsWith('├')), 2, 'the rule is under the header');
  assert.equal(lines.filter((l) => /^│ tty-table/.test(l)).length, 3);
});
