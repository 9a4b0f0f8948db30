/**
 * The CSV of kafka-consumer-groups.sh --reset-offsets --export and
 * --from-file: one `TOPIC,PARTITION,OFFSET` line per partition, no header.
 * `parseOffsetsCsv` reads it (blank lines skipped; a partition twice is an
 * error) and throws an Error naming the first bad line; `offsetsCsv`
 * writes it.
 */
import type { GroupOffset } from '../client/groups.ts';
import { int32Max, int64Max } from '../protocol/wire-limits.ts';

export function parseOffsetsCsv(text: string): GroupOffset[] {
  const offsets: GroupOffset[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const match = /^\s*([^,\s]+)\s*,\s*(\d+)\s*,\s*(\d+)\s*$/.exec(line);
    if (!match || Number(match[2]) > int32Max || BigInt(match[3]) > int64Max) throw new Error(`line ${i + 1}: expected TOPIC,PARTITION,OFFSET, got "${line}"`);
    const [topic, partition, offset] = [match[1], Number(match[2]), BigInt(match[3])];
    if (seen.has(`${topic}\0${partition}`)) throw new Error(`line ${i + 1}: ${topic}/${partition} is listed twice`);
    seen.add(`${topic}\0${partition}`);
    offsets.push({ topic, partition, offset });
  });
  return offsets;
}

export function offsetsCsv(offsets: { topic: string; partition: number; offset: bigint | number }[]): string {
  return offsets.map((o) => `${o.topic},${o.partition},${o.offset}\n`).join('');
}
