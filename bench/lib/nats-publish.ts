/**
 * NATS JetStream load generator (run as its own process, pinned to the
 * client core): `node nats-publish.ts PORT RECORDS RECORD_SIZE TIME_LIMIT_MS`
 * creates a file-storage stream on subject "bench", publishes RECORDS
 * messages of RECORD_SIZE bytes with the npm nats client's asynchronous
 * JetStream publish (at most `windowMessages` awaiting their acks), and
 * prints {"records", "seconds"} from the first publish to the last ack.
 */
import { connect, StorageType } from 'nats';

const windowMessages = 5000;

const [port, records, recordSize, timeLimitMs] = process.argv.slice(2).map(Number);
const nc = await connect({ servers: `127.0.0.1:${port}` });
try {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: 'bench', subjects: ['bench'], storage: StorageType.File });
  const js = nc.jetstream();
  const payload = new Uint8Array(recordSize).fill(0x78);
  let inFlight = 0;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const acked = () => {
    inFlight--;
    if (!wake || inFlight > windowMessages / 2) return;
    const resume = wake;
    wake = null;
    resume();
  };
  const start = performance.now();
  const deadline = start + timeLimitMs;
  let sent = 0;
  for (; sent < records && performance.now() < deadline && !failure; sent++) {
    inFlight++;
    js.publish('bench', payload).then(acked, (err: Error) => {
      failure ??= err;
      acked();
    });
    if (inFlight >= windowMessages) await new Promise<void>((resolve) => (wake = resolve));
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  if (failure) throw failure;
  process.stdout.write(`${JSON.stringify({ records: sent, seconds: (performance.now() - start) / 1000 })}\n`);
} finally {
  await nc.close();
}
