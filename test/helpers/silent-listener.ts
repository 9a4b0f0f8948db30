/**
 * A loopback TCP listener that accepts connections and never answers (a
 * stalled process, as a client sees it): its host:port and how many
 * connections it has accepted. Closed, with its connections, after `t`.
 */
import net from 'node:net';

export async function silentListener(t: { after(fn: () => void): void }): Promise<{ address: string; accepted: () => number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, accepted: () => sockets.size };
}
