/**
 * The explicit command map oclif loads (package.json "oclif.commands"):
 * command id (words joined by ':') -> command class. Explicit discovery keeps
 * the CLI working inside the bundled single executable, where there is no
 * directory to scan. Add every new command here.
 */
export const COMMANDS = {};
