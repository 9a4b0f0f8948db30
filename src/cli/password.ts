/**
 * Where a password comes from: never argv (it would show in `ps` and in
 * shell history). In order: a file (`--password-file`, the first line, so
 * a trailing newline is not part of it), an environment variable
 * (KB_PASSWORD), or, on a TTY, a prompt that asks twice. A password given
 * as a flag value is a usage error that says how to pass it; so is none
 * at all without a TTY.
 */
import { readFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { password as passwordPrompt } from '@inquirer/prompts';
import { UsageError, UserError } from './kb-command.ts';
import { interactive } from './prompts.ts';

export const passwordEnv = 'KB_PASSWORD';

/** The flags of a command that takes a password: the file, and the refused flag value. */
export const passwordFlags = {
  'password-file': Flags.string({ description: `read the password from the first line of this file (or set ${passwordEnv}, or type it at the prompt)` }),
  password: Flags.string({ hidden: true, description: 'refused: passwords are never taken from the command line' }),
};

/** How to pass a password, for error messages. */
export function howToPassPassword(fileFlag: string, env: string, prompt: boolean): string {
  return `pass it with ${fileFlag} FILE or the ${env} environment variable${prompt ? ', or type it at the prompt on a terminal' : ''}`;
}

/** Refuses a password given as a flag value (`flag`), naming the ways that work. */
export function refusePasswordOnArgv(given: string | undefined, flag: string, fileFlag: string, env: string, prompt: boolean): void {
  if (given === undefined) return;
  throw new UsageError(`${flag} is refused: a password on the command line shows in ps and in shell history; ${howToPassPassword(fileFlag, env, prompt)}`);
}

/** The first line of `file`. */
export async function passwordFromFile(file: string, fileFlag: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`${fileFlag} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const password = text.split(/\r?\n/, 1)[0];
  if (password === '') throw new UserError(`${fileFlag} ${file}: the first line is empty`);
  return password;
}

/** The password for `what` (e.g. "user alice") from --password-file, KB_PASSWORD or a prompt asked twice. */
export async function readPassword(flags: { 'password-file'?: string; password?: string }, what: string): Promise<string> {
  refusePasswordOnArgv(flags.password, '--password', '--password-file', passwordEnv, true);
  if (flags['password-file'] !== undefined) return passwordFromFile(flags['password-file'], '--password-file');
  const fromEnv = process.env[passwordEnv];
  if (fromEnv) return fromEnv;
  if (!interactive()) throw new UsageError(`no password for ${what}: ${howToPassPassword('--password-file', passwordEnv, true)}`);
  const context = { input: process.stdin, output: process.stderr };
  try {
    const first = await passwordPrompt({ message: `Password for ${what}:`, mask: true, validate: (v) => v !== '' || 'the password must not be empty' }, context);
    const again = await passwordPrompt({ message: 'Again, to confirm:', mask: true }, context);
    if (first !== again) throw new UserError('the two passwords differ: nothing was changed');
    return first;
  } catch (err) {
    if ((err as Error).name === 'ExitPromptError') throw new UserError('cancelled: nothing was changed');
    throw err;
  }
}
