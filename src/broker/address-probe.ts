/**
 * Whether nothing listens at host:port: a TCP connection attempt there is
 * refused (ECONNREFUSED) within `timeoutMs`. Anything else (it connects, it
 * times out, another error) is false, since a process may still be there:
 * paused, cut off, or busy. The connection is closed at once, nothing is
 * sent. The controller asks this to tell a broker whose process died (its
 * kernel closed its listener) from one whose connection merely dropped.
 */
import { connect } from 'node:net';

export function refusesConnections(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (refused: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(refused);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(false));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED'));
  });
}
