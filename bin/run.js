#!/usr/bin/env node
// The `kb` entry point: hands argv to oclif, which finds commands through
// the explicit map in src/commands/index.ts (package.json "oclif.commands").
// Unknown commands get a suggestion (src/cli/run-cli.ts).
// On a Node older than 24 (a system Node 20) it says so and exits 1 before
// importing anything Node 20 cannot load. Node's compile cache (in the OS
// temp dir) keeps the compiled, type-stripped modules between runs, which
// halves start-up; everything else is imported after it is on.
// bin/kb (the `kb` that `npm link` puts on the PATH) runs this file on the
// Node 24 that `npm ci` installed.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `kb needs Node 24 (found ${major}): run it through npm (npm run -s kb -- ARGS, after npm ci), ` +
      'as kb after npm link, or with Node 24 on the PATH\n',
  );
  process.exit(1);
}
const { enableCompileCache } = await import('node:module');
enableCompileCache();
const { runCli } = await import('../src/cli/run-cli.ts');
const { endQuietlyWhenStdoutCloses } = await import('../src/cli/stdout.ts');

endQuietlyWhenStdoutCloses();
await runCli(process.argv.slice(2), import.meta.url);
