/**
 * Compressed ingest: one fresh kb node (pinned to the server core) and kcat
 * (librdkafka, on the client core) producing `records` lines of
 * `recordSize` bytes with acks=1 and each of `codecs` (librdkafka's
 * compression.codec: none, lz4, snappy, zstd, gzip), so every codec is
 * measured against the uncompressed figure of the same run. After one
 * uncompressed warm-up run, the codecs take turns for `rounds` rounds, each
 * run into a topic of its own (the broker decompresses and walks every
 * compressed batch it takes); per codec, the runs fastest first with
 * kcat's and the broker's CPU time.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startBroker } from '../../test/helpers/broker.ts';
import { clientCore, kcatInputFile, onCore, pin, processCpuSeconds, serverCore, timedRun } from './processes.ts';
import { createTopic } from './serving.ts';


export const compressionCodecs = ['none', 'lz4', 'snappy', 'zstd', 'gzip'] as const;
export type CompressionCodecName = (typeof compressionCodecs)[number];

export interface CompressedRun {
  seconds: number;
  kcatCpuSeconds: number;
  brokerCpuSeconds: number;
}

export async function kbCompressedIngest(dir: string, records: number, recordSize: number, rounds: number, timeLimitMs: number): Promise<Record<CompressionCodecName, CompressedRun[]>> {
  const input = kcatInputFile(dir, records, recordSize);
  const dataDir = path.join(dir, 'kb-compression');
  const broker = await startBroker({ dataDir });
  try {
    const pid = broker.process.pid!;
    pin(pid, serverCore);
    const produce = async (topic: string, codec: CompressionCodecName): Promise<CompressedRun> => {
      await createTopic(broker.address, topic, 1);
      const kcat = onCore(clientCore, ['kcat', '-b', broker.address, '-t', topic, '-p', '0', '-P', '-X', 'acks=1', '-X', `compression.codec=${codec}`]);
      const before = processCpuSeconds(pid);
      const run = await timedRun(kcat, { stdinFile: input, timeLimitMs });
      return { seconds: run.seconds, kcatCpuSeconds: run.cpuSeconds, brokerCpuSeconds: processCpuSeconds(pid) - before };
    };
    await produce('warm-up', 'none');
    const runs = Object.fromEntries(compressionCodecs.map((c) => [c, [] as CompressedRun[]])) as Record<CompressionCodecName, CompressedRun[]>;
    for (let round = 1; round <= rounds; round++) {
      for (const codec of compressionCodecs) runs[codec].push(await produce(`${codec}-${round}`, codec));
    }
    for (const codec of compressionCodecs) runs[codec].sort((a, b) => a.seconds - b.seconds);
    return runs;
  } finally {
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
