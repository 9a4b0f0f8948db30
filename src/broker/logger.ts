/**
 * The broker's log: one line per event on stderr, `<ISO time> <LEVEL> <message>`.
 * Injected (not imported as a global) so tests and a simulation can capture it.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function stderrLogger(prefix = ''): Logger {
  const line = (level: string, message: string) =>
    process.stderr.write(`${new Date().toISOString()} ${level} ${prefix}${message}\n`);
  return {
    info: (m) => line('INFO', m),
    warn: (m) => line('WARN', m),
    error: (m) => line('ERROR', m),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
