/**
 * The console's login: one password (from --password-file or
 * KB_CONSOLE_PASSWORD), compared in constant time; a right one opens a
 * session, a random 256-bit token in an HttpOnly, SameSite=Strict cookie,
 * valid for `sessionTtlMs` after its last use. At most `sessionsMax`
 * sessions are held (a new one evicts the least recently used). Login
 * attempts are checked one at a time, the one after a failure a second
 * later, so guessing is slow however many requests arrive at once (and at
 * most `loginQueueMax` wait). Without a password there is no
 * login (loopback only: the command refuses other addresses then).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const sessionCookie = 'kb_console_session';
export const sessionTtlMs = 12 * 60 * 60 * 1000;
export const sessionsMax = 1000;
export const failedLoginDelayMs = 1000;
/** Login attempts waiting their turn at most; more are refused at once. */
export const loginQueueMax = 100;

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export class Sessions {
  private readonly passwordDigest: Buffer | null;
  /** token -> expiry (ms); Map order is least recently used first. */
  private readonly sessions = new Map<string, number>();
  private readonly now: () => number;
  /** Login attempts go one at a time through this chain. */
  private turn: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(password: string | null, now: () => number = Date.now) {
    this.passwordDigest = password === null ? null : digest(password);
    this.now = now;
  }

  get loginRequired(): boolean {
    return this.passwordDigest !== null;
  }

  /** Whether the request's Cookie header holds a live session (always, without a password). */
  authenticated(cookieHeader: string | undefined): boolean {
    if (this.passwordDigest === null) return true;
    const token = cookieValue(cookieHeader, sessionCookie);
    const expiry = token === null ? undefined : this.sessions.get(token);
    if (token === null || expiry === undefined) return false;
    this.sessions.delete(token);
    if (expiry < this.now()) return false;
    this.sessions.set(token, this.now() + sessionTtlMs);
    return true;
  }

  /**
   * A new session's Set-Cookie value when `password` is right, null when
   * not, 'busy' when `loginQueueMax` attempts wait already. Attempts are
   * checked one at a time, and one after a failure only `failedLoginDelayMs`
   * later, so guessing goes at most one password a second however many
   * requests a client sends at once.
   */
  async login(password: string): Promise<string | null | 'busy'> {
    if (this.waiting >= loginQueueMax) return 'busy';
    this.waiting++;
    const attempt = this.turn.then(() => this.check(password));
    this.turn = attempt.then((cookie) => (cookie === null ? new Promise((resolve) => setTimeout(resolve, failedLoginDelayMs)) : undefined));
    try {
      return await attempt;
    } finally {
      this.waiting--;
    }
  }

  private check(password: string): string | null {
    if (this.passwordDigest === null || !timingSafeEqual(digest(password), this.passwordDigest)) return null;
    const token = randomBytes(32).toString('base64url');
    if (this.sessions.size >= sessionsMax) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(token, this.now() + sessionTtlMs);
    return `${sessionCookie}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${sessionTtlMs / 1000}`;
  }

  /** Ends the request's session; the Set-Cookie value that clears the cookie. */
  logout(cookieHeader: string | undefined): string {
    const token = cookieValue(cookieHeader, sessionCookie);
    if (token !== null) this.sessions.delete(token);
    return `${sessionCookie}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
