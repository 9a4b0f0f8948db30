/**
 * kb's log, the one logger of every layer (broker, controller, storage): one
 * line per event on stderr, `<ISO time> <LEVEL> <message>`.
 * Control characters in a message are escaped (`\n`, `\u0000`, ...): messages
 * quote what clients sent (client ids, names), and a line break there would
 * otherwise let a client write lines of its own into the log.
 * Injected (not imported as a global) so tests and a simulation can capture it.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const controlCharacter = /[\u0000-\u001f\u007f\u2028\u2029]/g;
const shortEscapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `message` on one line: each control character written as an escape. */
function oneLine(message: string): string {
  return message.replace(controlCharacter, (c) => shortEscapes[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function stderrLogger(prefix = ''): Logger {
  const line = (level: string, message: string) =>
    process.stderr.write(`${new Date().toISOString()} ${level} ${prefix}${oneLine(message)}\n`);
  return {
    info: (m) => line('INFO', m),
    warn: (m) => line('WARN', m),
    error: (m) => line('ERROR', m),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
