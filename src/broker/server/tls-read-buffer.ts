/**
 * Makes a server TLS socket hand what it decrypts to one shared buffer,
 * as read-buffer-server.ts does for PLAINTEXT sockets.
 *
 * Why: a TLSSocket emits each TLS record's plaintext (16 KB at most;
 * librdkafka's produce requests come as records of 2-3 KB) as a fresh
 * Buffer pushed through its Readable stream: per record an allocation the
 * GC must later sweep, and the stream's bookkeeping. Over SSL those cost
 * the broker more than the decryption itself (a profile of kcat's 1 KB
 * ingest; see the README's "Benchmarks").
 *
 * How: net.Socket's `onread` option does this for sockets a program
 * creates, and tls.connect passes it on, but a TLSSocket wrapped around an
 * accepted socket ignores it. So, as net.Socket does for `onread`, the
 * socket's TLS handle is given the buffer (`useUserBuffer`) and the socket
 * the callback (its `kBuffer` and `kBufferCb` slots, found by their
 * symbols' descriptions). These are Node internals, pinned by the Node
 * version kb ships with; `readTlsIntoBuffer` throws when they are not
 * there, and the TLS listener tests exercise them.
 *
 * Contract: call it once the handshake is done (on 'secureConnection');
 * what the socket decrypted before then and kept is handed over first.
 * `receive` gets a view of `buffer`, valid only during the call (it must
 * copy what it keeps); `socket.pause()` and `resume()` stop and restart
 * the reads as usual.
 */
import type tls from 'node:tls';

export type Receive = (bytes: Buffer) => void;

/** A socket's own symbol-keyed slot named `description`. */
function slot(socket: tls.TLSSocket, description: string): symbol {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === description);
  if (key === undefined) throw new Error(`this Node has no net.Socket slot ${description}: cannot read TLS into a shared buffer`);
  return key;
}

export function readTlsIntoBuffer(socket: tls.TLSSocket, buffer: Buffer, receive: Receive): void {
  const handle = (socket as unknown as { _handle: { useUserBuffer?(buffer: Uint8Array): void } | null })._handle;
  if (handle === null) return; // closed during the handshake's last steps
  if (typeof handle.useUserBuffer !== 'function') throw new Error('this Node has no useUserBuffer on TLS handles: cannot read TLS into a shared buffer');
  const slots = socket as unknown as Record<symbol, unknown>;
  const bufferSlot = slot(socket, 'kBuffer');
  const callbackSlot = slot(socket, 'kBufferCb');
  for (let kept = socket.read() as Buffer | null; kept !== null; kept = socket.read() as Buffer | null) receive(kept);
  slots[bufferSlot] = buffer;
  slots[callbackSlot] = (n: number) => (receive(buffer.subarray(0, n)), true);
  handle.useUserBuffer(buffer);
  socket.resume();
}
