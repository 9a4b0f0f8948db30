/**
 * Named limits and default timings of the metadata quorum's Raft, in one
 * place. `RaftConfig` carries the timings a node runs with (Kafka's
 * `controller.quorum.*` settings where one exists, with Kafka's defaults);
 * the other constants are fixed limits that keep every collection the node
 * holds bounded.
 */
import assert from 'node:assert/strict';

export interface RaftConfig {
  /** A voter without a leader waits a random time in [base, 2 * base) before it stands for election (`controller.quorum.election.timeout.ms`). */
  electionTimeoutMs: number;
  /** A follower that has not had a good answer from its leader this long stops following it (`controller.quorum.fetch.timeout.ms`). */
  fetchTimeoutMs: number;
  /** A leader that has not heard from a majority of voters this long resigns (check-quorum; Kafka uses 1.5 x the fetch timeout). */
  checkQuorumTimeoutMs: number;
  /** Longest a leader holds a Fetch with nothing new before answering it empty. */
  fetchMaxWaitMs: number;
  /** A Fetch or FetchSnapshot without an answer this long is taken as lost and sent again (`controller.quorum.request.timeout.ms`). */
  requestTimeoutMs: number;
  /** Pause before resending unanswered Vote and BeginQuorumEpoch requests, and after a failed fetch (`controller.quorum.retry.backoff.ms`). */
  retryBackoffMs: number;
  /** Bytes a Fetch answer carries at most (at least one entry is always sent). */
  fetchMaxBytes: number;
  /** Bytes of one FetchSnapshot chunk. */
  snapshotChunkBytes: number;
  /** The host is asked for a snapshot once this many committed entries sit above the log start. */
  snapshotIntervalEntries: number;
}

export const raftConfigDefaults: RaftConfig = {
  electionTimeoutMs: 1_000,
  fetchTimeoutMs: 2_000,
  checkQuorumTimeoutMs: 3_000,
  fetchMaxWaitMs: 500,
  requestTimeoutMs: 1_000,
  retryBackoffMs: 50,
  fetchMaxBytes: 1024 * 1024,
  snapshotChunkBytes: 1024 * 1024,
  snapshotIntervalEntries: 10_000,
};

/** The defaults with `overrides` applied, checked for sense. */
export function resolveRaftConfig(overrides: Partial<RaftConfig> = {}): RaftConfig {
  const config = { ...raftConfigDefaults, ...overrides };
  for (const [name, value] of Object.entries(config)) {
    assert.ok(Number.isSafeInteger(value), `${name} is an integer`);
    assert.ok(value > 0, `${name} is positive`);
  }
  assert.ok(config.requestTimeoutMs > config.fetchMaxWaitMs, 'a held fetch is answered before its request times out');
  assert.ok(config.fetchTimeoutMs >= config.requestTimeoutMs, 'a follower retries a lost fetch before giving up on its leader');
  return config;
}

/**
 * The highest quorum epoch a node takes from a message (2^31 - 1 - 2^20).
 * Epochs are int32 on the wire and a node moves to any higher epoch it is
 * told of, so one absurd epoch (a bad or hostile request: nothing
 * authenticates the quorum's APIs) would leave no room for the next
 * election; this leaves room for a million.
 */
export const epochAcceptedMax = 2 ** 31 - 1 - 2 ** 20;
/** Voters of one quorum. */
export const votersMax = 64;
/** Observers (brokers that fetch but do not vote) a leader tracks; the longest silent one is forgotten first. */
export const observersMax = 1_000;
/** Entries one proposal may carry. */
export const proposalEntriesMax = 10_000;
/** Payload bytes of one entry. */
export const entryPayloadBytesMax = 8 * 1024 * 1024;
/** Appended but uncommitted entries a leader holds before it refuses proposals. */
export const uncommittedEntriesMax = 50_000;
/** Bytes an entry counts for beyond its payload when sizing a Fetch answer (about a record's framing). */
export const entryOverheadBytes = 64;
/** Bytes of one snapshot. */
export const snapshotBytesMax = 512 * 1024 * 1024;
/** Messages one output may carry before the host must take it. */
export const outputMessagesMax = 100_000;
/** Outputs a leader may have handed out whose persistence it has not been told of. */
export const unpersistedOutputsMax = 10_000;
