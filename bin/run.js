#!/usr/bin/env node
// The `kb` entry point: hands argv to oclif, which finds commands through
// the explicit map in src/commands/index.ts (package.json "oclif.commands").
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
