/**
 * Follows partition moves until none of them is in progress: every
 * `pollMs` it lists the reassignments still running (the controller's
 * view) and asks each adding replica's broker how much of the log it holds
 * (DescribeLogDirs), so progress is bytes copied over bytes to copy.
 * On a TTY (stderr) a progress bar with the rate and ETA; otherwise one
 * plain line on stderr whenever the count of finished partitions or the
 * copied bytes change. A broker that does not answer counts as nothing
 * copied yet.
 */
import type { Admin } from '../client/admin.ts';
import { formatBytes } from './output.ts';
import { Progress } from './progress.ts';

export interface WatchedMove {
  topic: string;
  partition: number;
  /** The replicas that copy the log, and the log's size when the move began. */
  adding: number[];
  sizeBytes: number;
}

const pollMs = 500;

export async function watchMoves(admin: Admin, moves: readonly WatchedMove[], stream: NodeJS.WriteStream = process.stderr): Promise<void> {
  const total = moves.reduce((n, m) => n + m.adding.length * Math.max(m.sizeBytes, 0), 0);
  const topics = [...new Set(moves.map((m) => m.topic))];
  const progress = stream.isTTY ? new Progress('reassigning', total, stream, formatBytes) : null;
  let reported = '';
  let copiedBefore = 0;
  for (;;) {
    const ongoing = new Set((await admin.listPartitionReassignments(topics)).map((o) => `${o.topic}/${o.partition}`));
    const running = moves.filter((m) => ongoing.has(`${m.topic}/${m.partition}`));
    const copied = total - (await bytesLeft(admin, running));
    if (progress) {
      progress.advance(Math.max(0, copied - copiedBefore));
      copiedBefore = Math.max(copied, copiedBefore);
    } else {
      const line = `reassigning: ${moves.length - running.length}/${moves.length} partition(s) done, ${formatBytes(copied)} of ${formatBytes(total)} copied`;
      if (line !== reported) stream.write(`${line}\n`);
      reported = line;
    }
    if (running.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  progress?.done();
}

/** Bytes the adding replicas of `running` moves still lack. */
async function bytesLeft(admin: Admin, running: readonly WatchedMove[]): Promise<number> {
  const byBroker = new Map<number, Map<string, number[]>>();
  for (const move of running) {
    for (const id of move.adding) {
      const topics = byBroker.get(id) ?? new Map<string, number[]>();
      topics.set(move.topic, [...(topics.get(move.topic) ?? []), move.partition]);
      byBroker.set(id, topics);
    }
  }
  const held = new Map<string, number>();
  await Promise.all(
    [...byBroker].map(async ([id, topics]) => {
      const sizes = await admin.replicaSizes(id, topics).catch(() => new Map<string, number>());
      for (const [key, size] of sizes) held.set(`${id}:${key}`, size);
    }),
  );
  let left = 0;
  for (const move of running) {
    const size = Math.max(move.sizeBytes, 0);
    for (const id of move.adding) left += size - Math.min(size, held.get(`${id}:${move.topic}/${move.partition}`) ?? 0);
  }
  return left;
}
