/**
 * A TCP server whose connections all read into one shared buffer instead of
 * a fresh 64 KB chunk per read.
 *
 * Why: net.Server's sockets allocate a new chunk for every read. At a
 * producer's 200+ MB/s that is thousands of allocations a second, each
 * faulted in by the kernel and counted by V8 as external memory, which
 * drives a full GC every few tens of milliseconds. Reading into one reused
 * buffer removed most of the broker's system time during a 1 KB kcat
 * ingest and doubled its throughput.
 *
 * How: net's `onread` option does this for sockets a program creates, but
 * net.Server has no such option. So each connection is accepted paused, and
 * its handle is moved into a new net.Socket created with `onread`, the way
 * net.Server itself wraps an accepted handle (its `handle` constructor
 * option and the socket's `_handle` are Node internals, pinned by the Node
 * version kb ships with; the server tests exercise them).
 *
 * Contract: `accept(socket)` is called for each connection and returns the
 * function that takes what it reads. That function gets a view of the
 * shared buffer, valid only during the call (it must copy what it keeps);
 * `socket.pause()` stops the reads as usual. One buffer serves
 * every connection because each read is handed over and consumed before the
 * next one happens. The server counts no connections of its own: its owner
 * closes them.
 */
import net from 'node:net';

export type Receive = (bytes: Buffer) => void;

/** net.Socket's options with an accepted connection's handle to wrap (the typings know only a BoundSocket there). */
type WrapOptions = Omit<net.SocketConstructorOpts, 'handle'> & { handle: unknown };

export function createReadBufferServer(readBuffer: Buffer, accept: (socket: net.Socket) => Receive): net.Server {
  return net.createServer({ pauseOnConnect: true }, (accepted) => {
    const internals = accepted as unknown as { _handle: unknown };
    const handle = internals._handle;
    internals._handle = null;
    accepted.destroy();
    if (!handle) return;
    let receive: Receive = () => {};
    const callback = (n: number) => (receive(readBuffer.subarray(0, n)), true);
    const options: WrapOptions = { handle, readable: true, writable: true, onread: { buffer: readBuffer, callback } };
    const socket = new net.Socket(options as net.SocketConstructorOpts);
    receive = accept(socket);
  });
}
