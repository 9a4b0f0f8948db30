/**
 * The HTTP endpoint Prometheus scrapes (`--metrics-listen HOST:PORT`):
 * GET (or HEAD) /metrics answers the registry in the text exposition
 * format; any other path is 404, any other method on /metrics 405, and a
 * failing collection 500 (logged), never a crash. close() drops open
 * (keep-alive) connections so the broker stops promptly.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { HostPort } from '../../net/host-port.ts';
import type { Logger } from '../../logger.ts';

export const metricsPath = '/metrics';

export class MetricsServer {
  private readonly server: http.Server;

  constructor(registry: Registry, logger: Logger) {
    this.server = http.createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== metricsPath) return answer(res, 404, `not found: try ${metricsPath}\n`);
      if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'only GET\n', { allow: 'GET, HEAD' });
      registry.metrics().then(
        (text) => answer(res, 200, req.method === 'HEAD' ? '' : text, { 'content-type': registry.contentType }),
        (err: Error) => {
          logger.error(`collecting metrics failed: ${err.message}`);
          answer(res, 500, 'collecting metrics failed\n');
        },
      );
    });
  }

  /** Listens on `at` (port 0: a free port); resolves with the bound address. */
  listen(at: HostPort): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(at.port, at.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function answer(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}
