/**
 * Which new connections a listener admits, as Kafka's ConnectionQuotas:
 * at most `max.connections` open, at most `max.connections.per.ip` from one
 * address (or that address's entry in `max.connections.per.ip.overrides`,
 * `host:count,host:count`), and at most `max.connection.creation.rate` new
 * ones per second (Kafka delays the accept; kb refuses, which a client
 * retries the same way).
 *
 * Peers (`isPeer`: the broker passes the addresses of the other voters
 * and registered brokers on its peer listeners, nobody on client
 * listeners) are exempt from every limit, as Kafka admits inter-broker
 * connections past `max.connections`, so a flood cannot keep a node from
 * its peers (they still count towards max.connections). Each listener has
 * its own ConnectionQuotas, so clients cannot take a peer listener's slots.
 *
 * Contract: `admit(ip)` returns null and counts the connection in, or the
 * reason it is refused (counting nothing); `release(ip)` counts an admitted
 * connection out. Addresses are compared as the socket reports them, an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its IPv4 form.
 */

export interface ConnectionQuotaLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** `max.connections.per.ip.overrides` as written: `host:count` pairs, comma separated. */
  maxConnectionsPerIpOverrides: string;
  maxConnectionCreationRate: number;
}

/** Parses `max.connections.per.ip.overrides`; throws with the offending entry. */
export function parsePerIpOverrides(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const colon = entry.lastIndexOf(':');
    const count = Number(entry.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(count) || count < 0) {
      throw new Error(`max.connections.per.ip.overrides: "${entry}" is not host:count`);
    }
    out.set(normalizeIp(entry.slice(0, colon)), count);
  }
  return out;
}

export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

const windowMs = 1_000;

export class ConnectionQuotas {
  private readonly limits: ConnectionQuotaLimits;
  private readonly overrides: Map<string, number>;
  private readonly isPeer: (ip: string) => boolean;
  private readonly now: () => number;
  private readonly perIp = new Map<string, number>();
  private open = 0;
  private windowStart = -Infinity;
  private createdInWindow = 0;

  constructor(limits: ConnectionQuotaLimits, isPeer: (ip: string) => boolean, now: () => number = () => performance.now()) {
    this.limits = limits;
    this.overrides = parsePerIpOverrides(limits.maxConnectionsPerIpOverrides);
    this.isPeer = isPeer;
    this.now = now;
  }

  admit(remoteIp: string): string | null {
    const ip = normalizeIp(remoteIp);
    if (!this.isPeer(ip)) {
      if (this.open >= this.limits.maxConnections) return `${this.open} connections open (max.connections)`;
      const max = this.overrides.get(ip) ?? this.limits.maxConnectionsPerIp;
      const fromIp = this.perIp.get(ip) ?? 0;
      if (fromIp >= max) return `${fromIp} connections open from ${ip} (max.connections.per.ip${this.overrides.has(ip) ? '.overrides' : ''} ${max})`;
      const now = this.now();
      if (now - this.windowStart >= windowMs) {
        this.windowStart = now;
        this.createdInWindow = 0;
      }
      if (this.createdInWindow >= this.limits.maxConnectionCreationRate) {
        return `more than ${this.limits.maxConnectionCreationRate} new connections this second (max.connection.creation.rate)`;
      }
      this.createdInWindow++;
    }
    this.open++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    return null;
  }

  release(remoteIp: string): void {
    const ip = normalizeIp(remoteIp);
    this.open--;
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left === 0) this.perIp.delete(ip);
    else this.perIp.set(ip, left);
  }
}
