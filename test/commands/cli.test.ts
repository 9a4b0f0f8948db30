import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Config, Help, type Command } from '@oclif/core';
import { readFile, mkdtemp, rm, cp, symlink } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { runKb } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/tools.ts';

test('kb --version names the package version and Node 24', async () => {
  const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8'));
  const { code, stdout } = await runKb(['--version']);
  assert.equal(code, 0);
  assert.match(stdout, new RegExp(`^kb/${pkg.version.replaceAll('.', '\\.')} `));
  assert.match(stdout, /node-v24\./);
});

test('kb --help lists the commands of the explicit command map', async () => {
  const { code, stdout } = await runKb(['--help']);
  assert.equal(code, 0);
  assert.match(stdout, /USAGE\s+\$ kb \[COMMAND\]/);
});

test('the tests run on the pinned Node 24', () => {
  assert.equal(process.versions.node.split('.')[0], '24');
});

test('oclif.manifest.json is current (run `npm run manifest` after changing a command)', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-manifest-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
  for (const entry of ['bin', 'src', 'node_modules']) await symlink(path.join(repoRoot, entry), path.join(dir, entry));
  const oclif = path.join(repoRoot, 'node_modules/oclif/bin/run.js');
  const result = spawnSync(process.execPath, [oclif, 'manifest'], { cwd: dir, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const fresh = JSON.parse(await readFile(path.join(dir, 'oclif.manifest.json'), 'utf8'));
  const committed = JSON.parse(await readFile(path.join(repoRoot, 'oclif.manifest.json'), 'utf8'));
  assert.deepEqual(committed, fresh);
});

test("the README's `npm run -s kb -- ...` entry point runs the CLI and prints only its output (pipeable)", () => {
  const result = spawnSync('npm', ['run', '-s', 'kb', '--', '--version'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, PATH: '/usr/bin:/bin' } });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^kb\/\d+\.\d+\.\d+ linux-x64 node-v24\.\S+\n$/);
});

test('integer flags whose value goes into an int16 or int32 field, or a timer, refuse larger values when parsed', async () => {
  const unreachable = ['-b', '127.0.0.1:1']; // refused before any connection is tried
  const cases: [string[], string, number][] = [
    [['topic', 'create', 'x', '--partitions', '1', '--rf', '40000', ...unreachable], '--rf', 32767],
    [['topic', 'create', 'x', '--partitions', '3000000000', ...unreachable], '--partitions', 2147483647],
    [['topic', 'add-partitions', 'x', '--to', '99999999999', ...unreachable], '--to', 2147483647],
    [['topic', 'list', '--timeout', '99999999999', ...unreachable], '--timeout', 2147483647],
    [['bench', 'consume', '--topic', 'x', '--fetch-max-bytes', '99999999999', ...unreachable], '--fetch-max-bytes', 2147483647],
    [['broker', 'start', '--node-id', '99999999999', '--data-dir', path.join(os.tmpdir(), 'kb-never-created')], '--node-id', 2147483647],
  ];
  for (const [args, flag, max] of cases) {
    const { code, stderr } = await runKb(args);
    assert.equal(code, 2, `kb ${args.join(' ')} exits 2 (usage):\n${stderr}`);
    assert.match(stderr, new RegExp(`Parsing ${flag}[\\s\\S]*less than or equal to ${max}`), `kb ${args.join(' ')} names the flag and its maximum`);
    assert.doesNotMatch(stderr, /out of range|RangeError|TimeoutOverflowWarning/);
  }
});

/** oclif's help text of one command, rendered in this process (56 CLI runs would cost the suite half a minute). */
class HelpText extends Help {
  of(command: Command.Loadable): string {
    return this.formatCommand(command);
  }
}

test('help texts: every usage line is whole, every topic has its own description, and the texts say what is true', async () => {
  const config = await Config.load(repoRoot);
  const help = new HelpText(config, { stripAnsi: true });
  for (const command of config.commands.filter((c) => !c.hidden)) {
    const usage = /(?:^|\n)USAGE\n([\s\S]*?)(?:\n\n|$)/.exec(help.of(command))?.[1];
    assert.ok(usage, `kb ${command.id.replaceAll(':', ' ')} has a usage`);
    assert.doesNotMatch(usage, /\|\s*\||\[\s*\||\|\s*\]|\[\s*\]/, `kb ${command.id.replaceAll(':', ' ')}: an empty alternative in its usage\n${usage}`);
  }
  const topics = new Set(config.commands.filter((c) => c.id.includes(':')).map((c) => c.id.split(':')[0]));
  for (const topic of topics) assert.ok(config.topics.find((t) => t.name === topic)?.description, `topic ${topic} has a description of its own in package.json`);

  const [partitions, consume, configSet, reassign] = await Promise.all([
    runKb(['partitions', '--help']),
    runKb(['consume', '--help']),
    runKb(['config', 'set', '--help']),
    runKb(['partitions', 'reassign', '--help']),
  ]);
  assert.match(partitions.stdout, /^Partitions: list their replication status, elect leaders, balance and reassign replicas\n/, "the topic's description, not balance's");
  assert.doesNotMatch(consume.stdout, /see above/, 'the format and JSON notes are below the flags');
  assert.match(consume.stdout, /^ {2}\{"topic":"t","partition":0,"offset":42,"timestamp":1700000000000,\n\s+"key":"k","value":"v","headers":\[\{"key":"h","value":"x"\}\]\}\n/m, 'the JSON example breaks between keys');
  assert.match(configSet.stdout.replace(/\s+/g, ' '), /Dynamic are the settings kb config get shows as not read-only.*the others are static: set them when the broker starts/);
  assert.match(reassign.stdout, /\$ kb partitions reassign --status \[--topic T\.\.\.\]\n/);
});
