/**
 * Several kcat producers at once: `kcatProducers(dir, address, topic,
 * producers, records, recordSize, timeLimitMs)` runs `producers` kcat -P
 * processes together on the client core, each sending its share of
 * `records` lines of `recordSize` bytes (acks=1) to `topic` with
 * librdkafka's default partitioner (unkeyed records spread over every
 * partition). The machine is settled once before; resolves with the wall
 * time until the last of them ended.
 */
import { clientCore, kcatInputFile, onCore, settle, timedRun } from './processes.ts';

export async function kcatProducers(dir: string, address: string, topic: string, producers: number, records: number, recordSize: number, timeLimitMs: number): Promise<number> {
  if (records < producers) throw new Error(`${records} records cannot be shared by ${producers} producers`);
  const share = Math.ceil(records / producers);
  const inputs = Array.from({ length: producers }, (_, i) => kcatInputFile(dir, Math.min(share, records - i * share), recordSize));
  settle();
  const started = performance.now();
  await Promise.all(inputs.map((stdinFile) => timedRun(onCore(clientCore, ['kcat', '-b', address, '-t', topic, '-P', '-X', 'acks=1']), { stdinFile, timeLimitMs, settle: false })));
  return (performance.now() - started) / 1000;
}
