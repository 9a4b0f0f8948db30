/**
 * `kb console`'s HTTP server (node:http): the UI's files (ui-assets.ts) at
 * `/`, `/ui.js` and `/ui.css`, and the JSON API (api.ts) under `/api/`.
 *
 * Every answer carries the security headers: a CSP allowing only this
 * origin's script and styles (no inline script), X-Frame-Options DENY,
 * nosniff, no referrer; API answers are not cached. With a password
 * (auth.ts), every API route but `GET /api/session`, `POST /api/login` and
 * `POST /api/logout` needs the session cookie (else 401); the UI's files
 * hold no data and are served to anyone. Requests that change something
 * must send `Content-Type: application/json` and, when they send an
 * Origin, this server's own: a page elsewhere cannot make a browser post
 * here (with SameSite=Strict cookies, the usual CSRF defences). Without
 * a login, only requests for a loopback host name are answered (DNS
 * rebinding).
 *
 * Bounds: a request body over `bodyBytesMax` is refused (413) as it
 * arrives; at most `connectionsMax` connections are open, and a request
 * must send its headers within 10 s and finish within 60 s; the message
 * browser bounds its reads (messages.ts); login attempts queue (auth.ts).
 *
 * Errors are JSON `{"error": "..."}`, never a stack trace: a bad request
 * (UsageError) 400, a refusal by the cluster or a command's UserError 422,
 * an unknown route 404, a cluster that cannot be reached 503 with
 * `"clusterDown": true` (the UI's banner); anything else 500, logged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterUnreachableError, type Cluster } from '../../client/cluster.ts';
import { ClientError } from '../../net/connection.ts';
import { UsageError, UserError } from '../../cli/kb-command.ts';
import type { Logger } from '../../logger.ts';
import { findRoute } from './api.ts';
import type { Sessions } from './auth.ts';
import type { History } from './history.ts';
import type { Asset } from './ui-assets.ts';

export const bodyBytesMax = 1024 * 1024;
/** Open connections at most (a browser opens about six). */
export const connectionsMax = 1000;

const securityHeaders = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export interface ConsoleServerOptions {
  host: string;
  port: number;
  cluster: Cluster;
  sessions: Sessions;
  history: History;
  assets: Map<string, Asset>;
  log: Logger;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Big integers (offsets, producer ids) as JSON numbers, or strings past 2^53. */
function json(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : v));
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = json(body);
  res.writeHead(status, { ...securityHeaders, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > bodyBytesMax) return reject(new HttpError(413, `the request body is over ${bodyBytesMax} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > bodyBytesMax) {
        reject(new HttpError(413, `the request body is over ${bodyBytesMax} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size === 0) return resolve(undefined);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'the request body is not JSON'));
      }
    });
  });
}

function serveAsset(req: http.IncomingMessage, res: http.ServerResponse, asset: Asset): void {
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  res.writeHead(200, {
    ...securityHeaders,
    'Content-Type': asset.type,
    'Cache-Control': 'no-cache',
    Vary: 'Accept-Encoding',
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : gzip ? asset.gzipped : asset.body);
}

/** Refuses a state-changing request a page of another origin could have sent. */
function checkCrossSite(req: http.IncomingMessage): void {
  if (req.method === 'GET' || req.method === 'HEAD') return;
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'send the request body as Content-Type: application/json');
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}`) throw new HttpError(403, `requests from ${origin} are not accepted`);
}

/**
 * Without a login the console trusts whoever reaches it, so it answers only
 * requests addressed to a loopback name: a web page whose name an attacker
 * re-points at 127.0.0.1 (DNS rebinding) would otherwise be same-origin
 * with it.
 */
function checkHost(req: http.IncomingMessage, sessions: Sessions): void {
  if (sessions.loginRequired) return;
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
  if (!/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(host)) throw new HttpError(403, `requests for ${host || 'no host'} are not served without a login: open the console by its loopback address`);
}

async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL, options: ConsoleServerOptions): Promise<void> {
  const path = url.pathname.slice('/api/'.length);
  const { sessions } = options;
  checkCrossSite(req);
  if (path === 'session' && req.method === 'GET') {
    return send(res, 200, { loginRequired: sessions.loginRequired, authenticated: sessions.authenticated(req.headers.cookie) });
  }
  if (path === 'login' && req.method === 'POST') {
    const body = await readBody(req);
    const password = (body as { password?: unknown } | undefined)?.password;
    if (typeof password !== 'string') throw new HttpError(400, '"password" must be a string');
    const cookie = await sessions.login(password);
    if (cookie === 'busy') throw new HttpError(429, 'too many login attempts at once: try again later');
    if (cookie === null) throw new HttpError(401, 'wrong password');
    return send(res, 200, { authenticated: true }, { 'Set-Cookie': cookie });
  }
  if (path === 'logout' && req.method === 'POST') return send(res, 200, { authenticated: false }, { 'Set-Cookie': sessions.logout(req.headers.cookie) });
  if (!sessions.authenticated(req.headers.cookie)) throw new HttpError(401, 'log in first');
  const route = findRoute(req.method ?? 'GET', path);
  if (route === null) throw new HttpError(404, `no API at ${url.pathname}`);
  if (route === 'method') throw new HttpError(405, `${req.method} is not served at ${url.pathname}`);
  const body = req.method === 'GET' ? undefined : await readBody(req);
  send(res, 200, await route.handler({ cluster: options.cluster, history: options.history, params: route.params, query: url.searchParams, body }));
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, options: ConsoleServerOptions): Promise<void> {
  checkHost(req, options.sessions);
  if (url.pathname.startsWith('/api/')) return handleApi(req, res, url, options);
  const asset = options.assets.get(url.pathname);
  if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) throw new HttpError(404, `nothing at ${url.pathname}`);
  serveAsset(req, res, asset);
}

function errorAnswer(err: unknown): { status: number; body: { error: string; clusterDown?: boolean } } {
  const message = (err as Error).message ?? String(err);
  if (err instanceof HttpError) return { status: err.status, body: { error: message } };
  if (err instanceof UsageError) return { status: 400, body: { error: message } };
  if (err instanceof ClusterUnreachableError) return { status: 503, body: { error: `the cluster cannot be reached: ${message}`, clusterDown: true } };
  if (err instanceof UserError || err instanceof ClientError) return { status: 422, body: { error: message } };
  return { status: 500, body: { error: `internal error: ${message}` } };
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://console');
    handle(req, res, url, options).catch((err: unknown) => {
      const { status, body } = errorAnswer(err);
      if (status === 500) options.log.error(`console: ${req.method} ${url.pathname}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) send(res, status, body);
      else res.destroy();
    });
  });
  server.maxConnections = connectionsMax;
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${host}:${address.port}/` };
}
