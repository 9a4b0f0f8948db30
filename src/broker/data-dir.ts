/**
 * The broker's data directory: created if missing (mode 0700, as are its
 * `metadata/` and `logs/`; an existing directory keeps its mode), checked writable, locked
 * against a second broker, and stamped with the node id it belongs to, the
 * ids of its metadata quorum's voters and (once known) its cluster id.
 *
 * Layout: `meta.properties` (version=1, node.id, voter.ids (comma-separated,
 * ascending), cluster.id; Java properties text, written atomically, each
 * write holding every key known so far), `.lock` (pid of the running
 * broker), `metadata/` (the metadata log), `logs/` (partition logs).
 * A data dir stamped with another node id, another voter set or another
 * cluster id is refused: a node started with a voter list that differs from
 * the one its metadata log was written under would form a quorum of its own
 * and split the cluster. A stamp without voter.ids (written before kb stored
 * them) takes the voters of its next start. A start that fails on a data dir
 * it created itself removes it again (`removeIfNew`) unless a partition log
 * was made in it, so a failed first start leaves no empty data dir behind.
 */
import { closeSync, constants, openSync, writeSync, fsyncSync } from 'node:fs';
import { access, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseProperties } from './config.ts';
import { writeFileAtomically } from '../storage/atomic-write.ts';
import { nodeStorageFs } from '../storage/fs.ts';

const stampFileName = 'meta.properties';
/** Directories kb creates for a data dir are its owner's alone: records, offsets and metadata are nobody else's to read. */
const dataDirMode = 0o700;
/** Holds the pid of the broker running on the directory (`kb cluster down` finds a node by it). */
export const lockFileName = '.lock';

export class DataDirError extends Error {
  override name = 'DataDirError';
}

export interface DataDirStamp {
  nodeId: number;
  /** Ascending; null in a stamp written before kb stored them. */
  voterIds: number[] | null;
  clusterId: string | null;
}

/** How the voter list reads in messages: "1,2,3". */
const voterList = (ids: readonly number[]): string => ids.join(',');

export class DataDir {
  readonly root: string;
  readonly metadataDir: string;
  readonly logsDir: string;
  private readonly lockFile: string;
  private readonly stampFile: string;
  private locked = false;
  /** Whether `open` created the directory (it did not exist before). */
  private created = false;
  /** The stamp as last read or written. */
  private current: DataDirStamp | null = null;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.metadataDir = path.join(this.root, 'metadata');
    this.logsDir = path.join(this.root, 'logs');
    this.lockFile = path.join(this.root, lockFileName);
    this.stampFile = path.join(this.root, stampFileName);
  }

  /**
   * Creates, checks and locks the directory; refuses one stamped for another
   * node or another voter set (`voterIds`: the metadata quorum's voters as
   * started, this node alone without --voters), else stamps both.
   */
  async open(nodeId: number, voterIds: readonly number[]): Promise<DataDirStamp> {
    try {
      this.created = (await mkdir(this.root, { recursive: true, mode: dataDirMode })) !== undefined;
      await access(this.root, constants.W_OK);
      await mkdir(this.metadataDir, { recursive: true, mode: dataDirMode });
      await mkdir(this.logsDir, { recursive: true, mode: dataDirMode });
    } catch (err) {
      throw new DataDirError(`data dir ${this.root} is not usable: ${(err as Error).message}`);
    }
    await this.lock();
    const voters = [...voterIds].sort((a, b) => a - b);
    try {
      const stamp = await this.readStamp();
      if (stamp && stamp.nodeId !== nodeId) {
        throw new DataDirError(`data dir ${this.root} belongs to node ${stamp.nodeId}, not node ${nodeId}: use --node-id ${stamp.nodeId} or another --data-dir`);
      }
      if (stamp?.voterIds && voterList(stamp.voterIds) !== voterList(voters)) {
        throw new DataDirError(
          `data dir ${this.root} belongs to a cluster whose controller quorum voters are nodes ${voterList(stamp.voterIds)}, ` +
            `but this node was started with voters ${voterList(voters)}: start it with the same --voters as the other nodes ` +
            `(no --voters means this node alone). kb's voter set is fixed; to change it on purpose, stop every node and set ` +
            `voter.ids in each node's ${stampFileName}, or start this node with a fresh --data-dir`,
        );
      }
      const opened = { nodeId, voterIds: voters, clusterId: stamp?.clusterId ?? null };
      if (!stamp?.voterIds) await this.writeStamp(opened);
      this.current = opened;
      return opened;
    } catch (err) {
      await this.unlock();
      throw err;
    }
  }

  /** Records (once) the cluster this data belongs to; refuses a different one. Only after `open`. */
  async stamp(clusterId: string): Promise<void> {
    const current = this.current;
    if (!current) throw new Error('the data dir is not open');
    if (current.clusterId && current.clusterId !== clusterId) {
      throw new DataDirError(`data dir ${this.root} belongs to cluster ${current.clusterId}, not ${clusterId}`);
    }
    if (current.clusterId === clusterId) return;
    await this.writeStamp({ ...current, clusterId });
  }

  private async writeStamp(stamp: DataDirStamp): Promise<void> {
    const lines = ['# kb data directory', 'version=1', `node.id=${stamp.nodeId}`];
    if (stamp.voterIds) lines.push(`voter.ids=${voterList(stamp.voterIds)}`);
    if (stamp.clusterId) lines.push(`cluster.id=${stamp.clusterId}`);
    await writeFileAtomically(nodeStorageFs, path.join(this.root, stampFileName), Buffer.from(lines.join('\n') + '\n'));
    this.current = stamp;
  }

  private async readStamp(): Promise<DataDirStamp | null> {
    let text: string;
    try {
      text = await readFile(this.stampFile, 'utf8');
    } catch {
      return null;
    }
    const values = parseProperties(text);
    const voters = values.get('voter.ids');
    return {
      nodeId: Number(values.get('node.id')),
      voterIds: voters === undefined ? null : voters.split(',').map((id) => Number(id.trim())).sort((a, b) => a - b),
      clusterId: values.get('cluster.id') ?? null,
    };
  }

  private async lock(): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockFile, 'wx');
        writeSync(fd, String(process.pid));
        fsyncSync(fd);
        closeSync(fd);
        this.locked = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataDirError(`cannot lock data dir ${this.root}: ${(err as Error).message}`);
      }
      const owner = Number((await readFile(this.lockFile, 'utf8').catch(() => '')).trim());
      if (owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new DataDirError(`data dir ${this.root} is in use by another broker (pid ${owner})`);
      }
      await rm(this.lockFile, { force: true }); // stale lock of a process that died
    }
    throw new DataDirError(`cannot lock data dir ${this.root}`);
  }

  /**
   * After a failed start (unlocked): removes the directory when `open`
   * created it and no partition log was made in `logs/`; what is left is
   * only that start's own stamp and metadata log.
   */
  async removeIfNew(): Promise<void> {
    if (!this.created || this.locked) return;
    const partitions = await readdir(this.logsDir).catch(() => []);
    if (partitions.length > 0) return;
    await rm(this.root, { recursive: true, force: true });
    this.created = false;
  }

  async unlock(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    await rm(this.lockFile, { force: true });
  }
}

/** Whether a process with this pid exists (another user's counts: EPERM). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
