/**
 * Default timings of the metadata quorum's Raft. `RaftConfig` carries the
 * timings a node runs with (Kafka's `controller.quorum.*` settings where one
 * exists, with Kafka's defaults). The fixed limits that keep every
 * collection the node holds bounded are in src/limits.ts.
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

/** Bytes an entry counts for beyond its payload when sizing a Fetch answer (about a record's framing). */
export const entryOverheadBytes = 64;
