/**
 * Runs oclif on the command line, as oclif's `execute` does (run, flush,
 * its error handling), except for an unknown command: that is a usage
 * error (exit 2) in kb's style, `Error: unknown command "kb topc list": did
 * you mean "kb topic list"?`, the suggestion being the closest command (or
 * command group) to the words typed (src/closest-name.ts). Both entry
 * points (bin/run.js, the single executable) run through it.
 */
import { Config, flush, handle, type Interfaces, run } from '@oclif/core';
import { closestName } from '../closest-name.ts';

export async function runCli(argv: string[], loadOptions: Interfaces.LoadOptions): Promise<void> {
  let config: Config | null = null;
  try {
    config = await Config.load(loadOptions);
    await run(argv, config);
    await flush();
  } catch (error) {
    const unknown = config && /^command (\S+) not found$/.exec((error as Error).message);
    if (!unknown) return handle(error instanceof Error ? error : new Error(String(error)));
    process.stderr.write(`Error: ${unknownCommand(unknown[1].split(':'), config!)}\n`);
    process.exitCode = 2;
  }
}

/** The message for the typed command `words`: the closest known command of as many words as possible, else of fewer. */
export function unknownCommand(words: string[], config: Pick<Config, 'bin' | 'commandIDs' | 'topics'>): string {
  const known = [...config.commandIDs, ...config.topics.map((t) => t.name)];
  let suggestion: string | null = null;
  for (let n = words.length; n > 0 && suggestion === null; n--) {
    suggestion = closestName(words.slice(0, n).join(':'), known.filter((id) => id.split(':').length === n));
  }
  const typed = `${config.bin} ${words.join(' ')}`;
  const hint = suggestion === null ? '' : `: did you mean "${config.bin} ${suggestion.replaceAll(':', ' ')}"?`;
  return `unknown command "${typed}"${hint} (${config.bin} --help lists the commands)`;
}
