/**
 * A busy client's latency: `node busy-client.ts HOST:PORT TOPIC REQUESTS`
 * sends REQUESTS Produce requests one after another on one connection,
 * each a batch of one 1 KiB record to partition 0 with acks=1, after 10%
 * as many unmeasured ones, and prints {"requests", "p50Ms", "p99Ms",
 * "maxMs"} of the round trips (exact percentiles of every one; at most one
 * request is in flight, so no send is held back by a slow answer).
 */
import { connectionTo, produce, produceRequest } from './serving.ts';

const recordBytes = 1024;

const [address, topic, requests] = process.argv.slice(2);
const count = Number(requests);
const connection = connectionTo(address, 'kb-bench-busy-client');
await connection.connect();
const request = produceRequest(topic, 1, 1, recordBytes);
for (let i = 0; i < Math.ceil(count / 10); i++) await produce(connection, request);
const rounds: number[] = [];
for (let i = 0; i < count; i++) {
  const started = performance.now();
  await produce(connection, request);
  rounds.push(performance.now() - started);
}
connection.close();
rounds.sort((a, b) => a - b);
const at = (q: number) => rounds[Math.min(rounds.length - 1, Math.floor(q * rounds.length))];
process.stdout.write(`${JSON.stringify({ requests: count, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: rounds.at(-1) })}\n`);
