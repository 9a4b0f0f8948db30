/**
 * NATS JetStream ingest: a fresh nats-server (Debian package) with
 * JetStream file storage in a temporary dir, on a free loopback port,
 * pinned to the server core; nats-publish.ts publishes on the client core.
 * Returns the publisher's records and seconds (first publish to last ack).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientCore, freePort, onCore, pin, serverCore, startServer, timedRun } from './processes.ts';

export async function natsJetStream(dir: string, records: number, recordSize: number, timeLimitMs: number): Promise<{ records: number; seconds: number }> {
  const storeDir = await mkdtemp(path.join(dir, 'nats-'));
  const port = await freePort();
  const server = await startServer(['nats-server', '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], port);
  try {
    pin(server.process.pid!, serverCore);
    const publisher = path.join(path.dirname(fileURLToPath(import.meta.url)), 'nats-publish.ts');
    const argv = [process.execPath, publisher, String(port), String(records), String(recordSize), String(timeLimitMs)];
    const { stdout } = await timedRun(onCore(clientCore, argv), { timeLimitMs: timeLimitMs + 30_000 });
    return JSON.parse(stdout);
  } finally {
    await server.stop();
    await rm(storeDir, { recursive: true, force: true });
  }
}
