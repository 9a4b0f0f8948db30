/**
 * The broker's own ingest ceiling, measured with a load generator that
 * does next to nothing per record: `node batch-replay.ts HOST:PORT TOPIC
 * RECORDS SIZE` encodes, once, an uncompressed record batch of SIZE-byte
 * values, as many as fit in 1,000,000 bytes (librdkafka's default
 * batch.size, under the broker's default max.message.bytes), and a last,
 * shorter one for the remainder, then sends them as Produce
 * requests (acks=1, partition 0), `inFlight` at a time, until RECORDS
 * records are sent. Every answer is checked. Prints {"records", "seconds"}
 * from the first request to the last answer.
 *
 * The broker does all its usual work per request (CRC, framing check,
 * offsets, the write); the client only skips encoding each record. Where
 * kcat is busy all the time, this shows what the broker could take.
 */
import { BrokerConnection } from '../../src/net/connection.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';

const produceKey = 0;
const produceVersionMax = 8;
const batchBytesMax = 1_000_000;
/** A record's bytes besides its value, at most, without key or headers (length, attributes, deltas, key and value lengths, header count). */
const recordFramingBytesMax = 16;
/** Requests awaiting an answer at once: enough that the broker always has the next one read. */
const inFlight = 4;

function batchOf(count: number, value: Buffer): Buffer {
  return encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: count }, () => ({ value })) });
}

async function replay(address: string, topic: string, records: number, size: number): Promise<void> {
  const [host, port] = address.split(':');
  const connection = new BrokerConnection({ host, port: Number(port), clientId: 'kb-batch-replay', requestTimeoutMs: 30_000, connectTimeoutMs: 10_000 });
  await connection.connect();
  const perBatch = Math.max(1, Math.floor(batchBytesMax / (size + recordFramingBytesMax)));
  const value = Buffer.alloc(size, 0x61);
  const full = batchOf(Math.min(perBatch, records), value);
  const tail = records % perBatch === 0 ? full : batchOf(records % perBatch, value);
  const batches = Math.ceil(records / perBatch);
  const produce = async (i: number) => {
    const records = i === batches - 1 ? tail : full;
    const response = await connection.request(produceKey, produceVersionMax, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 30_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    });
    const { errorCode } = response.responses[0].partitionResponses[0];
    if (errorCode !== ErrorCode.NONE) throw new Error(`produce to ${topic} failed: ${errorName(errorCode)}`);
  };
  let next = 0;
  const lane = async () => {
    while (next < batches) await produce(next++);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ records, seconds })}\n`);
  connection.close();
}

const [address, topic, records, size] = process.argv.slice(2);
await replay(address, topic, Number(records), Number(size));
