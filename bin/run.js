#!/usr/bin/env node
// The `kb` entry point: hands argv to oclif, which finds commands through
// the explicit map in src/commands/index.ts (package.json "oclif.commands").
// Node's compile cache (in the OS temp dir) keeps the compiled, type-stripped
// modules between runs, which halves start-up; everything else is imported
// after it is on.
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { execute } = await import('@oclif/core');
const { endQuietlyWhenStdoutCloses } = await import('../src/cli/stdout.ts');

endQuietlyWhenStdoutCloses();
await execute({ dir: import.meta.url });
