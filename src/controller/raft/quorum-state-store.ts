/**
 * A QuorumStateStore (persistence.ts) on disk: one file, `quorum-state`, in
 * the node's metadata directory, replaced whole on every write with
 * storage/checkpoint.ts writeAtomically (temp file, fsync, rename, fsync of
 * the directory), so after a crash it holds the old or the new state.
 *
 * On-disk format: one MessagePack map
 *   { version: 1, epoch: int >= 0, votedFor: int | nil, leaderId: int | nil }
 *
 * Contract: `write` resolves once the state is durable; `read` returns the
 * last state written, or null when the file does not exist. A file that
 * exists but does not decode to that map is an error, never "no state":
 * forgetting a vote could let this node vote twice in one epoch.
 *
 * `readStateFile` and `isNonNegativeInteger` are shared with the Raft log
 * store's snapshot file.
 */
import path from 'node:path';
import { readAtomicFile, writeAtomically } from '../../storage/checkpoint.ts';
import { resolveEnvironment, type StorageEnvironment } from '../../storage/environment.ts';
import { isNotFound, type StorageFs } from '../../storage/fs.ts';
import type { QuorumState, QuorumStateStore } from './persistence.ts';

export const quorumStateFile = 'quorum-state';
const quorumStateVersion = 1;

/**
 * The decoded map of an atomically written file at `dir/name` when its
 * version is `version`; null when the file does not exist; throws when it
 * exists but is unreadable or of another version.
 */
export async function readStateFile(fs: StorageFs, dir: string, name: string, version: number): Promise<Record<string, unknown> | null> {
  const value = await readAtomicFile(fs, dir, name);
  if (value === null) {
    try {
      await fs.stat(path.join(dir, name));
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }
  if (typeof value !== 'object' || value === null || (value as Record<string, unknown>).version !== version) {
    throw new Error(`${path.join(dir, name)} is unreadable or not version ${version}`);
  }
  return value as Record<string, unknown>;
}

export const isNonNegativeInteger = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isNodeIdOrNull = (v: unknown): v is number | null => v === null || Number.isSafeInteger(v);

export class FileQuorumStateStore implements QuorumStateStore {
  private readonly dir: string;
  private readonly fs: StorageFs;

  private constructor(dir: string, fs: StorageFs) {
    this.dir = dir;
    this.fs = fs;
  }

  /** A store in `dir`, created when missing. */
  static async open(dir: string, environment: Partial<StorageEnvironment> = {}): Promise<FileQuorumStateStore> {
    const { fs } = resolveEnvironment(environment);
    await fs.mkdir(dir);
    return new FileQuorumStateStore(dir, fs);
  }

  async read(): Promise<QuorumState | null> {
    const stored = await readStateFile(this.fs, this.dir, quorumStateFile, quorumStateVersion);
    if (stored === null) return null;
    const { epoch, votedFor, leaderId } = stored;
    if (!isNonNegativeInteger(epoch) || !isNodeIdOrNull(votedFor) || !isNodeIdOrNull(leaderId)) {
      throw new Error(`${path.join(this.dir, quorumStateFile)} holds an invalid quorum state`);
    }
    return { epoch, votedFor, leaderId };
  }

  write(state: QuorumState): Promise<void> {
    const { epoch, votedFor, leaderId } = state;
    return writeAtomically(this.fs, this.dir, quorumStateFile, { version: quorumStateVersion, epoch, votedFor, leaderId });
  }
}
