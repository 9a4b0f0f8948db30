/**
 * Free TCP ports for a local cluster whose voter list must name every port
 * before any node starts (`kb cluster up --base-port 0`): the OS picks each
 * one for a listener that is held until all are picked (so they differ) and
 * then closed. Another process could take a port before the node binds it;
 * the node then fails to start and says so in its log.
 */
import { createServer, type Server } from 'node:net';

export async function freePorts(host: string, count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  }
}
