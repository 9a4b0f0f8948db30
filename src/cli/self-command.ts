/**
 * The command line that runs this same `kb` again, for commands that start
 * other kb processes (`kb cluster up`), program first: the single executable runs itself;
 * from source it is this Node with the entry script (bin/run.js). Node
 * options of this process (e.g. --inspect) are not passed on.
 */
import { isSea } from 'node:sea';

export function kbCommandLine(args: readonly string[]): string[] {
  return isSea() ? [process.execPath, ...args] : [process.execPath, process.argv[1], ...args];
}
