/**
 * `kb completion bash` through the real CLI, loaded into a real bash: the
 * command words after kb and after a group, and the flags of the command
 * typed so far (global flags and other words in between are skipped).
 */
import { COMMANDS } from '../../src/commands/index.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runKb } from '../helpers/cli.ts';
import { run } from '../helpers/process.ts';

test('kb completion bash completes command words and each command\'s flags', async () => {
  const script = await runKb(['completion', 'bash']);
  assert.equal(script.code, 0, script.stderr);
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'kb-completion-')), 'kb.bash');
  await writeFile(file, script.stdout);
  const lines = [
    ['kb', ''],
    ['kb', 'to'],
    ['kb', 'topic', 'delete-'],
    ['kb', '-b', 'host:9092', 'gr'],
    ['kb', 'topic', 'create', 'orders', '--part'],
    ['kb', 'group', 'lag', 'billing', '--'],
    ['kb', 'consume', 'orders', '-e', '-'],
  ];
  const calls = lines.map((words) => `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kb_complete; echo "\${COMPREPLY[*]}"`);
  const bash = await run('bash', ['-c', `source '${file}'\n${calls.join('\n')}`], {});
  assert.equal(bash.code, 0, bash.stderr);
  const [top, to, deleteWords, afterFlag, partitions, lagFlags, consumeFlags] = bash.stdout.split('\n');
  const topics = [...new Set(Object.keys(COMMANDS).map((id) => id.split(':')[0]))].sort();
  assert.deepEqual(top.split(' '), topics, 'every command and topic of the registry, once');
  assert.equal(to, 'topic');
  assert.equal(deleteWords, 'delete-records');
  assert.equal(afterFlag, 'group');
  assert.equal(partitions, '--partitions');
  assert.ok(['--crit-lag', '--warn-lag', '--json', '--brokers', '--timeout'].every((f) => lagFlags.split(' ').includes(f)), lagFlags);
  assert.ok(['-o', '-e', '-f', '-g', '--offset'].every((f) => consumeFlags.split(' ').includes(f)), consumeFlags);
  assert.equal(bash.stderr, '');
});
