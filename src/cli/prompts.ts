/**
 * Prompts, only where a person can answer: `interactive()` is true when
 * stdin is a TTY. Questions are drawn on stderr so stdout keeps only data.
 * Without a TTY nothing prompts: callers fail with a UsageError (exit 2)
 * naming the flag to pass instead. Ctrl-C or Ctrl-D at a prompt (or the
 * end of stdin) is a UserError ("cancelled", exit 1) and changes nothing.
 *
 * Destructive commands call `confirmDestructive`: --yes skips it; on a TTY
 * the user must type the name(s) back; otherwise it is a UsageError naming
 * --yes. Changes that can be undone (a partition reassignment) call
 * `confirmChange`, the same rule with a yes/no question.
 */
import { confirm, input, password } from '@inquirer/prompts';
import { UsageError, UserError } from './kb-command.ts';

export function interactive(): boolean {
  return Boolean(process.stdin.isTTY);
}

interface PromptContext {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  signal: AbortSignal;
}

/**
 * Runs one prompt on stdin/stderr. Inquirer reads keys in raw mode, where
 * Ctrl-D is a key like any other (no end of input): it aborts the prompt
 * here, as the end of stdin does.
 */
async function ask<T>(prompt: (context: PromptContext) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const onKey = (_: string, key: { ctrl?: boolean; name?: string } | undefined) => {
    if (key?.ctrl && key.name === 'd') abort();
  };
  process.stdin.on('keypress', onKey).once('end', abort);
  try {
    return await prompt({ input: process.stdin, output: process.stderr, signal: controller.signal });
  } catch (err) {
    if ((err as Error).name === 'ExitPromptError' || (err as Error).name === 'AbortPromptError') throw new UserError('cancelled: nothing was changed');
    throw err;
  } finally {
    process.stdin.off('keypress', onKey).off('end', abort);
  }
}

/** A non-empty text answer. */
export function askText(message: string): Promise<string> {
  return ask((context) => input({ message, required: true, validate: (v) => v.trim() !== '' || 'an answer is needed' }, context)).then((v) => v.trim());
}

/** A secret, typed without echo (masked). */
export function askPassword(message: string): Promise<string> {
  return ask((context) => password({ message, mask: true, validate: (v) => v !== '' || 'an answer is needed' }, context));
}

/**
 * Asks for `expected` to be typed back before a destructive `action`
 * (e.g. "delete topic orders"); returns when confirmed.
 */
export async function confirmDestructive(options: { yes: boolean; expected: string; action: string }): Promise<void> {
  if (options.yes) return;
  if (!interactive()) throw new UsageError(`${options.action} cannot be undone: add --yes to confirm (there is no terminal to ask on)`);
  process.stderr.write(`${options.action} cannot be undone.\n`);
  const typed = await ask((context) => input({ message: `Type "${options.expected}" to confirm:` }, context));
  if (typed.trim() !== options.expected) throw new UserError(`"${typed.trim()}" does not match "${options.expected}": nothing was changed`);
}

/** Asks yes/no before `action` (e.g. "Reassign 6 partitions"); --yes skips it; no terminal without --yes is a UsageError. */
export async function confirmChange(options: { yes: boolean; action: string }): Promise<void> {
  if (options.yes) return;
  if (!interactive()) throw new UsageError(`${options.action}: add --yes to confirm (there is no terminal to ask on)`);
  if (!(await ask((context) => confirm({ message: `${options.action}?`, default: false }, context)))) throw new UserError('cancelled: nothing was changed');
}
