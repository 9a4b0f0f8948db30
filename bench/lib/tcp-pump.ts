/**
 * Loopback TCP throughput, as two processes (so each can be pinned to its
 * own core): `sink` listens on 127.0.0.1 (a free port, printed as the first
 * stdout line), reads one connection to its end and prints
 * {"bytes", "seconds"} from its first byte to its end; `source PORT BYTES`
 * writes BYTES in 1 MiB chunks to it and ends, honouring backpressure.
 */
import net from 'node:net';

const chunk = Buffer.alloc(1024 * 1024, 0x61);

function sink(): void {
  const server = net.createServer((socket) => {
    let bytes = 0;
    let first = 0;
    socket.on('data', (d: Buffer) => {
      if (bytes === 0) first = performance.now();
      bytes += d.length;
    });
    socket.on('end', () => {
      process.stdout.write(`${JSON.stringify({ bytes, seconds: (performance.now() - first) / 1000 })}\n`);
      server.close();
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
}

function source(port: number, total: number): void {
  const socket = net.connect(port, '127.0.0.1', () => {
    let left = total;
    const write = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!socket.write(piece)) return void socket.once('drain', write);
      }
      socket.end();
    };
    write();
  });
}

const [role, port, bytes] = process.argv.slice(2);
if (role === 'sink') sink();
else source(Number(port), Number(bytes));
