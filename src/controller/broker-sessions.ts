/**
 * Broker sessions, kept in memory by the active controller only: when each
 * broker last heartbeated, which process (incarnation) registered it and at
 * which metadata offset, and whether it is in a controlled shutdown. None of
 * this is in the metadata log: a controller that becomes active starts every
 * unfenced broker's session afresh (`reset`), and what it cannot know (the
 * offset of an earlier registration) the caller replaces with a safe bound.
 */

export interface BrokerSession {
  lastHeartbeatMs: number;
  /** The registering process's incarnation id (hex); null if registered under another controller. */
  incarnationId: string | null;
  /** Metadata offset at or after which the registration committed; null if unknown. */
  registeredAt: number | null;
  /**
   * In a controlled shutdown: the metadata offset of the last leadership
   * change made for it (-1 before any); null when not shutting down.
   */
  shutdownAt: number | null;
}

export class BrokerSessions {
  private readonly sessions = new Map<number, BrokerSession>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** Forgets every session and starts new ones for `liveBrokerIds`, as if each had just heartbeated. */
  reset(liveBrokerIds: Iterable<number>): void {
    this.sessions.clear();
    for (const id of liveBrokerIds) this.heartbeat(id);
  }

  registered(nodeId: number, incarnationId: string, offset: number): void {
    this.sessions.set(nodeId, { lastHeartbeatMs: this.now(), incarnationId, registeredAt: offset, shutdownAt: null });
  }

  /** Records a heartbeat, starting a session if there is none, and returns it. */
  heartbeat(nodeId: number): BrokerSession {
    const session = this.sessions.get(nodeId) ?? { lastHeartbeatMs: 0, incarnationId: null, registeredAt: null, shutdownAt: null };
    session.lastHeartbeatMs = this.now();
    this.sessions.set(nodeId, session);
    return session;
  }

  get(nodeId: number): BrokerSession | undefined {
    return this.sessions.get(nodeId);
  }

  /** True while the broker's last heartbeat is at most `timeoutMs` old. */
  isAlive(nodeId: number, timeoutMs: number): boolean {
    const session = this.sessions.get(nodeId);
    return session !== undefined && this.now() - session.lastHeartbeatMs <= timeoutMs;
  }

  isShuttingDown(nodeId: number): boolean {
    return (this.sessions.get(nodeId)?.shutdownAt ?? null) !== null;
  }

  clear(): void {
    this.sessions.clear();
  }
}
