/**
 * A fault-suite run's history: what the workload did and saw, what the
 * nemesis did, and what the cluster held at the end. The suite writes it as
 * JSON Lines (one event a line); the checker judges it whole.
 *
 * Timed events carry `t`: ms since the run started, on the monotonic clock
 * (fractions allowed). `send` is stamped when the attempt is handed to the
 * client, `ack`/`fail` when its outcome arrives, `commit` when the
 * OffsetCommit's outcome arrives, `committed` when the observer's OffsetFetch
 * is sent (the observation begins; one observer, fetches one at a time).
 *
 * Values are unique strings `<process>:<seq>`, seq counting up from 0 per
 * producing process in send order (e.g. `kafkajs-1:42`). A `fail` is
 * indeterminate: the write may or may not have happened. `read` events are
 * the final complete read (every partition from its log start to its high
 * watermark, after the faults have healed), one per record, with the
 * isolation level it was read at (absent: read_uncommitted, the only final
 * read of a run without transactions); `replica`
 * events are every replica's segments (`kb log dump`), taken after the
 * cluster stopped. Neither needs `t`. `leadership` events say who led
 * what, asked just before the nemesis starts and just after it stops.
 *
 * A transactional workload also logs `txn` events, one per transaction when
 * it is over (its values were `send` and their delivery reports `ack` or
 * `fail`, as any write: an `ack` says the record is in the log, committed or
 * not), `consumed` events, one per record a live reader read while the
 * run went on, stamped when its line arrives, and `copied` events: the
 * final read_committed read of the consume-transform-produce stage's output
 * topic, one per record (no `t`).
 *
 * `readHistory` / `parseHistory` turn a JSONL file into events, checking
 * every field; a bad line is an error naming the file and line. Fields not
 * named here are ignored, so the suite may log more.
 */
import { readFile } from 'node:fs/promises';

export interface Send { type: 'send'; t: number; process: string; value: string }
/**
 * An acknowledgement; `offset` null when the client acknowledged without a position: librdkafka's
 * idempotent producer acks an in-flight batch implicitly, offset unknown, once a later one is acked.
 */
export interface Ack { type: 'ack'; t: number; process: string; value: string; partition: number; offset: number | null }
export interface Fail { type: 'fail'; t: number; process: string; value: string; error: string }
/** A group member's synchronous OffsetCommit; `offset` is the next offset to read. */
export interface Commit {
  type: 'commit'; t: number; process: string; group: string; partition: number; offset: number; outcome: 'ok' | 'fail';
}
/** An observer's OffsetFetch; offset -1: none committed. */
export interface Committed { type: 'committed'; t: number; process: string; group: string; partition: number; offset: number }
export type Isolation = 'read_committed' | 'read_uncommitted';
/** One record of the final complete read at `isolation` (absent: read_uncommitted). */
export interface Read { type: 'read'; partition: number; offset: number; value: string | null; isolation?: Isolation }
/** One record a live reader read at `isolation`. */
export interface Consumed { type: 'consumed'; t: number; process: string; isolation: Isolation; partition: number; offset: number; value: string | null }
/** One record of the final read_committed read of the consume-transform-produce stage's output topic. */
export interface Copied { type: 'copied'; partition: number; offset: number; value: string | null }
/**
 * A transaction, once over: its values in send order (those the client took), and its outcome:
 * `committed` when the commit was acknowledged; `aborted` when no commit was ever asked for it (it
 * can only be aborted); `indeterminate` when a commit was asked and not acknowledged (failed, timed
 * out): either way, but all or nothing. `fenced`: a successor with the same transactional id had
 * been initialized before the commit was asked, so it must never be committed.
 */
export interface Txn {
  type: 'txn'; t: number; process: string; values: string[]; outcome: 'committed' | 'aborted' | 'indeterminate'; fenced: boolean;
}
/** One replica's log after the cluster stopped; `records` are [offset, value] in offset order. */
export interface Replica {
  type: 'replica'; node: number; partition: number; highWatermark: number; logStartOffset: number;
  records: [offset: number, value: string | null][];
}
/** A partition's leader (-1: none) and leader epoch, as the cluster described it. */
export interface Led { topic: string; partition: number; leader: number; leaderEpoch: number }
/**
 * Who led what: every partition of the workload's topics, the live (registered, unfenced) brokers and
 * the metadata quorum's epoch, asked from outside (`kb topic describe`, `kb cluster info`,
 * `kb cluster quorum`); each null when the cluster did not answer.
 */
export interface Leadership { type: 'leadership'; t: number; partitions: Led[] | null; brokers: number[] | null; quorumEpoch: number | null }
export type PhaseName = 'nemesis-start' | 'nemesis-stop' | 'heal' | 'end';
/** The nemesis schedule; `detail` says what was done (e.g. `kill -9 node 2`). */
export interface Phase { type: 'phase'; t: number; name: PhaseName; detail?: string }

export type Event = Send | Ack | Fail | Commit | Committed | Read | Consumed | Copied | Txn | Replica | Leadership | Phase;
/** Events without a time: what the cluster held at the end. */
export const untimed = ['read', 'copied', 'replica'] as const;

/** A produced value's parts, or undefined when it is not `<process>:<seq>`. */
export function parseValue(value: string): { process: string; seq: number } | undefined {
  const colon = value.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const digits = value.slice(colon + 1);
  if (!/^(0|[1-9]\d{0,14})$/.test(digits)) return undefined;
  return { process: value.slice(0, colon), seq: Number(digits) };
}

/** A field's test, and what it expects (for the error). */
interface Check { ok: (v: unknown) => boolean; expected: string }

const isString: Check = { ok: (v) => typeof v === 'string', expected: 'a string' };
const isTime: Check = {
  ok: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
  expected: 'a time in ms (a finite number >= 0)',
};
const isIndex: Check = { ok: (v) => Number.isSafeInteger(v) && (v as number) >= 0, expected: 'an integer >= 0' };
const orNull = (check: Check): Check => ({ ok: (v) => v === null || check.ok(v), expected: `${check.expected} or null` });
const isIndexOrNull = orNull(isIndex);
const isOffsetOrNone: Check = { ok: (v) => Number.isSafeInteger(v) && (v as number) >= -1, expected: 'an integer >= -1' };
const isValue: Check = {
  ok: (v) => typeof v === 'string' && parseValue(v) !== undefined,
  expected: 'a value "<process>:<seq>"',
};
const isReadValue: Check = { ok: (v) => v === null || typeof v === 'string', expected: 'a string or null' };
const isValueList: Check = { ok: (v) => Array.isArray(v) && v.every(isValue.ok), expected: 'a list of values "<process>:<seq>"' };
const isBoolean: Check = { ok: (v) => typeof v === 'boolean', expected: 'true or false' };
const isRecords: Check = {
  ok: (v) => Array.isArray(v) && v.every((r) => Array.isArray(r) && r.length === 2 && isIndex.ok(r[0]) && isReadValue.ok(r[1])),
  expected: 'a list of [offset, value] pairs',
};
const isLed = (v: unknown): boolean => {
  const led = v as Record<string, unknown> | null;
  return typeof led === 'object' && led !== null && isString.ok(led.topic) && isIndex.ok(led.partition) && isOffsetOrNone.ok(led.leader) && isIndex.ok(led.leaderEpoch);
};
const isLedList: Check = { ok: (v) => Array.isArray(v) && v.every(isLed), expected: 'a list of {topic, partition, leader, leaderEpoch}' };
const isNodeList: Check = { ok: (v) => Array.isArray(v) && v.every((id) => isIndex.ok(id)), expected: 'a list of node ids' };
const oneOf = (...allowed: string[]): Check => ({
  ok: (v) => typeof v === 'string' && allowed.includes(v),
  expected: `one of ${allowed.join(', ')}`,
});
const optional = (check: Check): Check => ({ ok: (v) => v === undefined || check.ok(v), expected: `${check.expected} or absent` });
const isIsolation = oneOf('read_committed', 'read_uncommitted');

const schemas: Record<Event['type'], Record<string, Check>> = {
  send: { t: isTime, process: isString, value: isValue },
  ack: { t: isTime, process: isString, value: isValue, partition: isIndex, offset: isIndexOrNull },
  fail: { t: isTime, process: isString, value: isValue, error: isString },
  commit: {
    t: isTime, process: isString, group: isString, partition: isIndex, offset: isIndex, outcome: oneOf('ok', 'fail'),
  },
  committed: { t: isTime, process: isString, group: isString, partition: isIndex, offset: isOffsetOrNone },
  read: { partition: isIndex, offset: isIndex, value: isReadValue, isolation: optional(isIsolation) },
  consumed: { t: isTime, process: isString, isolation: isIsolation, partition: isIndex, offset: isIndex, value: isReadValue },
  copied: { partition: isIndex, offset: isIndex, value: isReadValue },
  txn: { t: isTime, process: isString, values: isValueList, outcome: oneOf('committed', 'aborted', 'indeterminate'), fenced: isBoolean },
  replica: { node: isIndex, partition: isIndex, highWatermark: isIndex, logStartOffset: isIndex, records: isRecords },
  leadership: { t: isTime, partitions: orNull(isLedList), brokers: orNull(isNodeList), quorumEpoch: isIndexOrNull },
  phase: { t: isTime, name: oneOf('nemesis-start', 'nemesis-stop', 'heal', 'end'), detail: optional(isString) },
};

/** A field's value for an error message, cut short (a replica's records can be long). */
function shown(v: unknown): string {
  const json = JSON.stringify(v) ?? 'missing';
  return json.length > 80 ? `${json.slice(0, 80)}...` : json;
}

/** Why a parsed line is not an event, or undefined when it is one. */
function problem(parsed: unknown): string | undefined {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not a JSON object';
  const event = parsed as Record<string, unknown>;
  const type = event.type;
  if (typeof type !== 'string' || !Object.hasOwn(schemas, type)) {
    return `unknown type ${JSON.stringify(type)} (expected one of ${Object.keys(schemas).join(', ')})`;
  }
  for (const [field, check] of Object.entries(schemas[type as Event['type']])) {
    if (!check.ok(event[field])) {
      return `${type} event: field "${field}" is ${shown(event[field])}, expected ${check.expected}`;
    }
  }
  return undefined;
}

/** The events of a JSONL history's text; blank lines are skipped. Throws naming `source` and the line. */
export function parseHistory(text: string, source: string): Event[] {
  const events: Event[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      throw new Error(`${source}:${i + 1}: not JSON (${(err as Error).message})`);
    }
    const why = problem(parsed);
    if (why !== undefined) throw new Error(`${source}:${i + 1}: ${why}`);
    events.push(parsed as Event);
  }
  return events;
}

/** The events of the JSONL history file at `file`. */
export async function readHistory(file: string): Promise<Event[]> {
  return parseHistory(await readFile(file, 'utf8'), file);
}
