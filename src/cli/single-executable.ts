/**
 * The entry point of the single executable (dist/kb, built by
 * scripts/build-binary.ts): runs oclif with everything it would read from
 * disk compiled in. package.json is embedded, the manifest is ignored and
 * the explicit command map is handed to oclif directly, so the binary reads
 * no package.json, manifest or command file, and runs from any directory
 * on a machine without Node or node_modules. User and dev plugins are off.
 * Like bin/run.js it runs oclif through src/cli/run-cli.ts.
 */
import path from 'node:path';
import { Plugin } from '@oclif/core';
import pjson from '../../package.json' with { type: 'json' };
import { COMMANDS } from '../commands/index.ts';
import { runCli } from './run-cli.ts';
import { endQuietlyWhenStdoutCloses } from './stdout.ts';

endQuietlyWhenStdoutCloses();

// oclif's explicit command discovery imports the target file from the
// plugin root; in the bundle there is no such file, so its loader returns
// the compiled-in map instead (only the root plugin exists here).
(Plugin.prototype as unknown as { loadCommandsFromTarget(): Promise<typeof COMMANDS> }).loadCommandsFromTarget = async () => COMMANDS;

void runCli(process.argv.slice(2), {
  root: path.dirname(process.execPath),
  pjson: pjson as never,
  ignoreManifest: true,
  userPlugins: false,
  devPlugins: false,
});
