/**
 * Broker sessions, kept in memory by the active controller only: when each
 * broker last heartbeated, whether it still holds a connection to this
 * controller, which process (incarnation) registered it and at which
 * metadata offset, and whether it is in a controlled shutdown. None of
 * this is in the metadata log: a controller that becomes active starts every
 * unfenced broker's session afresh (`reset`), and what it cannot know (the
 * offset of an earlier registration) the caller replaces with a safe bound.
 *
 * Connections: a registration or heartbeat the broker sent itself comes with
 * its connection's close signal; when the connection of the broker's latest
 * request closes, the session is no longer `connected` and `onDisconnect`
 * is called (the broker's process may have died). A request forwarded by
 * another node says nothing about the broker's own connection and counts as
 * connected; a session started by `reset` is not connected until the broker
 * sends something.
 */
import type { Clock } from '../clock.ts';

export interface BrokerSession {
  lastHeartbeatMs: number;
  /** False once the connection of the broker's latest request has closed, and after `reset` until it sends one. */
  connected: boolean;
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
  /** The connection each broker's latest direct request came over. */
  private readonly connections = new Map<number, AbortSignal>();
  private readonly clock: Clock;
  private readonly onDisconnect: (nodeId: number) => void;

  /** Heartbeat times are on `clock`'s monotonic clock. */
  constructor(clock: Clock, onDisconnect: (nodeId: number) => void) {
    this.clock = clock;
    this.onDisconnect = onDisconnect;
  }

  /** Forgets every session and starts new ones for `liveBrokerIds`, as if each had just heartbeated, but not connected. */
  reset(liveBrokerIds: Iterable<number>): void {
    this.clear();
    for (const id of liveBrokerIds) this.sessions.set(id, { lastHeartbeatMs: this.clock.monotonicMs(), connected: false, incarnationId: null, registeredAt: null, shutdownAt: null });
  }

  /** `connection`: the close signal of the connection the registration came over, null when forwarded. */
  registered(nodeId: number, incarnationId: string, offset: number, connection: AbortSignal | null): void {
    const session = { lastHeartbeatMs: this.clock.monotonicMs(), connected: true, incarnationId, registeredAt: offset, shutdownAt: null };
    this.sessions.set(nodeId, session);
    this.watch(nodeId, session, connection);
  }

  /** Records a heartbeat (`connection` as for `registered`), starting a session if there is none, and returns it. */
  heartbeat(nodeId: number, connection: AbortSignal | null): BrokerSession {
    const session = this.sessions.get(nodeId) ?? { lastHeartbeatMs: 0, connected: true, incarnationId: null, registeredAt: null, shutdownAt: null };
    session.lastHeartbeatMs = this.clock.monotonicMs();
    this.sessions.set(nodeId, session);
    this.watch(nodeId, session, connection);
    return session;
  }

  /** Counts the session connected until `connection` (if known) closes. */
  private watch(nodeId: number, session: BrokerSession, connection: AbortSignal | null): void {
    session.connected = true;
    if (connection === null) {
      this.connections.delete(nodeId);
      return;
    }
    if (this.connections.get(nodeId) === connection) return; // watched already
    this.connections.set(nodeId, connection);
    const closed = () => {
      if (this.connections.get(nodeId) !== connection) return; // a newer connection (or a reset) took over
      this.connections.delete(nodeId);
      const current = this.sessions.get(nodeId);
      if (current) current.connected = false;
      this.onDisconnect(nodeId);
    };
    if (connection.aborted) closed();
    else connection.addEventListener('abort', closed, { once: true });
  }

  get(nodeId: number): BrokerSession | undefined {
    return this.sessions.get(nodeId);
  }

  /** True while the broker's last heartbeat is at most `timeoutMs` old. */
  isAlive(nodeId: number, timeoutMs: number): boolean {
    const session = this.sessions.get(nodeId);
    return session !== undefined && this.clock.monotonicMs() - session.lastHeartbeatMs <= timeoutMs;
  }

  isShuttingDown(nodeId: number): boolean {
    return (this.sessions.get(nodeId)?.shutdownAt ?? null) !== null;
  }

  clear(): void {
    this.sessions.clear();
    this.connections.clear();
  }
}
