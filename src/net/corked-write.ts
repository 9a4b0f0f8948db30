/**
 * Writes a frame's pieces corked, so they leave in one writev; `done` runs
 * once the socket has finished with the last piece. False when the socket
 * asks its writer to wait for 'drain'. Both ends of a Kafka connection use
 * it: the client's (net/connection.ts) and the broker's
 * (broker/server/connection.ts).
 */
import type { Socket } from 'node:net';

export function writeCorked(socket: Socket, pieces: Buffer[], done?: (err?: Error | null) => void): boolean {
  socket.cork();
  let flowing = true;
  pieces.forEach((piece, i) => (flowing = socket.write(piece, i === pieces.length - 1 ? done : undefined)));
  socket.uncork();
  return flowing;
}
