/**
 * kcat (librdkafka) as an independent producer, reader and metadata probe
 * for interop tests. Reading uses kcat's JSON envelope (`-J`), which keeps
 * null keys, null values and headers apart; every call is time-bounded and
 * fails with kcat's stderr and the command line when kcat does not succeed.
 */
import assert from 'node:assert/strict';
import { describeRun, run, type RunResult } from './process.ts';
import type { Header, StoredRecord } from './records.ts';

export const kcatTimeoutMs = 20_000;

/** Options every kcat call gets: quick metadata, no waiting on a dead broker forever. */
const common = ['-X', 'socket.timeout.ms=10000', '-X', 'topic.metadata.refresh.interval.ms=1000'];

export async function kcat(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run('kcat', [...common, ...args], { input: options.input, timeoutMs: options.timeoutMs ?? kcatTimeoutMs });
}

/** kcat, asserting it exits 0. */
export async function kcatOk(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const result = await kcat(args, options);
  assert.equal(result.code, 0, `kcat failed:\n${describeRun(result)}`);
  return result;
}

interface KcatJsonMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: (string | null)[];
  ts?: number;
}

export interface KcatRecord extends StoredRecord {
  timestamp: number | undefined;
}

/** Every record of `topic` (all partitions), from the beginning to the end as it is when kcat starts. */
export async function kcatConsumeAll(address: string, topic: string, extra: readonly string[] = []): Promise<KcatRecord[]> {
  const result = await kcatOk(['-b', address, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q', ...extra]);
  const records: KcatRecord[] = [];
  for (const line of result.stdout.split('\n')) {
    if (line.trim() === '') continue;
    let message: KcatJsonMessage;
    try {
      message = JSON.parse(line) as KcatJsonMessage;
    } catch {
      assert.fail(`kcat printed a line that is not JSON: ${line}\n${describeRun(result)}`);
    }
    const headers: Header[] = [];
    const flat = message.headers ?? [];
    for (let i = 0; i < flat.length; i += 2) headers.push([flat[i] as string, flat[i + 1] ?? null]);
    records.push({
      partition: message.partition,
      offset: message.offset,
      key: message.key,
      value: message.payload,
      headers,
      timestamp: message.ts,
    });
  }
  return records;
}

export interface KcatMetadata {
  originating_broker: { id: number; name: string };
  query: { topic: string };
  controllerid?: number;
  brokers: { id: number; name: string }[];
  topics: {
    topic: string;
    error?: string;
    partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[]; error?: string }[];
  }[];
}

/** `kcat -L -J`, optionally for one topic. */
export async function kcatMetadata(address: string, topic?: string): Promise<KcatMetadata> {
  const result = await kcatOk(['-b', address, '-L', '-J', ...(topic ? ['-t', topic] : [])]);
  return JSON.parse(result.stdout) as KcatMetadata;
}
