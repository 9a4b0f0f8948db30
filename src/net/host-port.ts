/**
 * Parsing of `host:port` arguments (`--listen`, `-b`) and voter lists
 * (`ID@host:port,...`). IPv6 hosts go in brackets: `[::1]:9092`.
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

export interface Voter extends HostPort {
  nodeId: number;
}

/** Parses `1@h1:9093,2@h2:9093`; node ids must be distinct non-negative integers. */
export function parseVoters(text: string): Voter[] {
  const voters = text.split(',').map((item) => {
    const match = /^(\d+)@(.+)$/.exec(item.trim());
    if (!match) throw new Error(`--voters: "${item}" is not ID@host:port (for example 1@127.0.0.1:9093)`);
    return { nodeId: Number(match[1]), ...parseHostPort(match[2]) };
  });
  if (new Set(voters.map((v) => v.nodeId)).size !== voters.length) throw new Error('--voters: a node id appears twice');
  return voters;
}
