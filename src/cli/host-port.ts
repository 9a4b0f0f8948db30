/**
 * Parsing of `host:port` arguments (`--listen`, `-b`, voter lists). IPv6
 * hosts go in brackets: `[::1]:9092`.
 */
export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(text: string, defaultPort?: number): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = match?.[3] !== undefined ? Number(match[3]) : defaultPort;
  if (!match || !host || port === undefined || port > 65535) {
    throw new Error(`"${text}" is not host:port (for example 127.0.0.1:9092)`);
  }
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
