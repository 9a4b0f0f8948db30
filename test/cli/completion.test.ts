/**
 * `kb completion bash|zsh|fish` through the real CLI, loaded into the real
 * shells: the command words after kb and after a group, and the flags of
 * the command typed so far (global flags and other words in between are
 * skipped). fish completes a command line itself (`complete -C`); zsh's
 * compadd only runs inside a completion widget, so there a stand-in prints
 * what kb's function offers (compinit's real compdef registers it).
 */
import { COMMANDS } from '../../src/commands/index.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runKb } from '../helpers/cli.ts';
import { run } from '../helpers/process.ts';
import { requireTool, tools } from '../helpers/tools.ts';

const lines = [
  ['kb', ''],
  ['kb', 'to'],
  ['kb', 'topic', 'delete-'],
  ['kb', '-b', 'host:9092', 'gr'],
  ['kb', 'topic', 'create', 'orders', '--part'],
  ['kb', 'group', 'lag', 'billing', '--'],
  ['kb', 'consume', 'orders', '-e', '-'],
];
const topics = [...new Set(Object.keys(COMMANDS).map((id) => id.split(':')[0]))].sort();

/** bash and fish filter by the word typed, so both answer `lines` the same way: one output line each. */
function assertFiltered(output: string): void {
  const [top, to, deleteWords, afterFlag, partitions, lagFlags, consumeFlags] = output.split('\n');
  assert.deepEqual(top.split(' '), topics, 'every command and topic of the registry, once');
  assert.equal(to, 'topic');
  assert.equal(deleteWords, 'delete-records');
  assert.equal(afterFlag, 'group');
  assert.equal(partitions, '--partitions');
  assert.ok(['--crit-lag', '--warn-lag', '--json', '--brokers', '--timeout'].every((f) => lagFlags.split(' ').includes(f)), lagFlags);
  assert.ok(['-o', '-e', '-f', '-g', '--offset'].every((f) => consumeFlags.split(' ').includes(f)), consumeFlags);
}

async function scriptFile(shell: string): Promise<string> {
  const script = await runKb(['completion', shell]);
  assert.equal(script.code, 0, script.stderr);
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'kb-completion-')), `kb.${shell}`);
  await writeFile(file, script.stdout);
  return file;
}

test('kb completion bash completes command words and each command\'s flags', async () => {
  const file = await scriptFile('bash');
  const calls = lines.map((words) => `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kb_complete; echo "\${COMPREPLY[*]}"`);
  const bash = await run('bash', ['-c', `source '${file}'\n${calls.join('\n')}`], {});
  assert.equal(bash.code, 0, bash.stderr);
  assertFiltered(bash.stdout);
  assert.equal(bash.stderr, '');
});

test('kb completion zsh: compinit registers it; it offers the command words, or the flags, of the words typed so far', async (t) => {
  if (!requireTool(t, tools.zsh)) return;
  const file = await scriptFile('zsh');
  const calls = lines.map((words) => `words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; PREFIX='${words.at(-1)}'; _kb_complete`);
  const script = [
    'autoload -U compinit && compinit -u -D',
    `source '${file}'`,
    'print -r -- "registered: $_comps[kb]"',
    // compadd filters by PREFIX itself: the stand-in prints every candidate it is given.
    'compadd() { [[ $1 == -- ]] && shift; print -r -- "$*" }',
    ...calls,
  ];
  const zsh = await run('zsh', ['-f', '-c', script.join('\n')], {});
  assert.equal(zsh.code, 0, zsh.stderr);
  const [registered, top, to, deleteWords, afterFlag, partitions, lagFlags, consumeFlags] = zsh.stdout.split('\n');
  assert.equal(registered, 'registered: _kb_complete');
  assert.deepEqual(top.split(' '), topics);
  assert.deepEqual(to, top, 'zsh matches the prefix itself');
  assert.ok(deleteWords.split(' ').includes('delete-records'), deleteWords);
  assert.deepEqual(afterFlag, top, 'a global flag and its value are skipped');
  assert.ok(partitions.split(' ').includes('--partitions'), partitions);
  assert.ok(['--crit-lag', '--warn-lag', '--json'].every((f) => lagFlags.split(' ').includes(f)), lagFlags);
  assert.ok(['-o', '-e', '-f', '-g', '--offset'].every((f) => consumeFlags.split(' ').includes(f)), consumeFlags);
  assert.equal(zsh.stderr, '');
});

test('kb completion fish completes command words and each command\'s flags', async (t) => {
  if (!requireTool(t, tools.fish)) return;
  const file = await scriptFile('fish');
  const calls = lines.map((words) => `complete -C '${words.join(' ')}' | string join ' '`);
  const fish = await run('fish', ['--no-config', '-c', `source '${file}'\n${calls.join('\n')}`], {});
  assert.equal(fish.code, 0, fish.stderr);
  assertFiltered(fish.stdout);
  assert.equal(fish.stderr, '');
});
