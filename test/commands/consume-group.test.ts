/**
 * kb consume -g against a real broker: a member reads its group's
 * partitions from the committed offsets and commits what it printed (a
 * second run prints only what is new), and two members running at once
 * split the partitions, together print every record exactly once, and
 * leave the group on SIGTERM.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { until } from '../helpers/group-member.ts';
import { repoRoot } from '../helpers/tools.ts';

let broker: RunningBroker;
let env: NodeJS.ProcessEnv;
const kb = (args: string[], input?: string) => runKb(args, { env, input });

before(async () => {
  broker = await startBroker({ sets: { 'group.initial.rebalance.delay.ms': 0 } });
  env = { KB_BROKERS: broker.address };
});
after(() => broker?.stop());

async function describeGroup(group: string): Promise<any> {
  const r = await kb(['group', 'describe', group, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('-g starts at the committed offsets and commits what it printed; -e ends it', async () => {
  assert.equal((await kb(['topic', 'create', 'grouped', '--partitions', '3'])).code, 0);
  assert.equal((await kb(['produce', 'grouped'], 'a\nb\nc\nd\ne\nf\n')).code, 0);

  const first = await kb(['consume', 'grouped', '-g', 'readers', '-e']);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(first.stdout.split('\n').filter(Boolean).sort(), ['a', 'b', 'c', 'd', 'e', 'f']);

  assert.equal((await kb(['produce', 'grouped'], 'g\nh\n')).code, 0);
  const second = await kb(['consume', 'grouped', '-g', 'readers', '-e', '-o', 'beginning']);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(second.stdout.split('\n').filter(Boolean).sort(), ['g', 'h'], 'committed offsets win over -o');

  const group = await describeGroup('readers');
  assert.equal(group.state, 'Empty', 'the member left');
  assert.deepEqual(
    group.partitions.map((p: any) => p.lag),
    [0, 0, 0],
  );
  const refused = await kb(['consume', 'grouped', '-g', 'readers', '-p', '0']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--partition=0 cannot also be provided when using --group/);
});

test('two members split the partitions and print every record once; SIGTERM leaves the group', async (t) => {
  assert.equal((await kb(['topic', 'create', 'shared', '--partitions', '4'])).code, 0);
  const members = ['a', 'b'].map(() => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/run.js'), 'consume', 'shared', '-g', 'pair', '-f', '%p %v\\n'], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const member = { child, stdout: '', stderr: '', exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
    child.stdout.setEncoding('utf8').on('data', (d: string) => (member.stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (member.stderr += d));
    return member;
  });
  t.after(() => members.forEach((m) => m.child.exitCode === null && m.child.kill('SIGKILL')));

  const deadline = Date.now() + 20_000;
  for (let group = null; !(group?.state === 'Stable' && group.members.length === 2); ) {
    assert.ok(Date.now() < deadline, `no stable group of two: ${JSON.stringify(group)}\n${members.map((m) => m.stderr).join('\n')}`);
    await sleep(200);
    const described = await kb(['group', 'describe', 'pair', '--json']); // exit 1 until the group exists
    group = described.code === 0 ? JSON.parse(described.stdout) : null;
  }
  const values = Array.from({ length: 40 }, (_, i) => `r${i}`);
  assert.equal((await kb(['produce', 'shared'], `${values.join('\n')}\n`)).code, 0);
  const lines = () => members.flatMap((m) => m.stdout.split('\n').filter(Boolean));
  await until(() => lines().length >= 40, 20_000, 'every record printed', () => lines().join(','));

  for (const m of members) m.child.kill('SIGTERM');
  assert.deepEqual(await Promise.all(members.map((m) => m.exited)), [0, 0], members.map((m) => m.stderr).join('\n'));
  const partitionsOf = (m: (typeof members)[number]) => new Set(m.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[0]));
  const [pa, pb] = members.map(partitionsOf);
  assert.equal(pa.size + pb.size, 4, 'each member read its own partitions');
  assert.ok([...pa].every((p) => !pb.has(p)), 'no partition was read by both');
  assert.deepEqual(lines().map((l) => l.split(' ')[1]).sort(), [...values].sort(), 'every record exactly once');
  assert.equal((await describeGroup('pair')).state, 'Empty', 'both left on SIGTERM');
});
