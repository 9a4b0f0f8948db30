/**
 * The broker's data directory: created if missing, checked writable, locked
 * against a second broker, and stamped with the node id it belongs to.
 *
 * Layout: `meta.properties` (node.id, cluster.id, version=1; Java
 * properties text, written atomically), `.lock` (pid of the running broker),
 * `metadata/` (the metadata log), `logs/` (partition logs).
 * A data dir stamped with another node id or cluster id is refused.
 */
import { closeSync, constants, openSync, writeSync, fsyncSync } from 'node:fs';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseProperties } from './config.ts';
import { writeBytesAtomically } from '../storage/checkpoint.ts';
import { nodeStorageFs } from '../storage/fs.ts';

const stampFileName = 'meta.properties';
/** Holds the pid of the broker running on the directory (`kb cluster down` finds a node by it). */
export const lockFileName = '.lock';

export class DataDirError extends Error {
  override name = 'DataDirError';
}

export interface DataDirStamp {
  nodeId: number;
  clusterId: string | null;
}

export class DataDir {
  readonly root: string;
  readonly metadataDir: string;
  readonly logsDir: string;
  private readonly lockFile: string;
  private readonly stampFile: string;
  private locked = false;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.metadataDir = path.join(this.root, 'metadata');
    this.logsDir = path.join(this.root, 'logs');
    this.lockFile = path.join(this.root, lockFileName);
    this.stampFile = path.join(this.root, stampFileName);
  }

  /** Creates, checks and locks the directory; refuses one stamped for another node. */
  async open(nodeId: number): Promise<DataDirStamp> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.W_OK);
      await mkdir(this.metadataDir, { recursive: true });
      await mkdir(this.logsDir, { recursive: true });
    } catch (err) {
      throw new DataDirError(`data dir ${this.root} is not usable: ${(err as Error).message}`);
    }
    await this.lock();
    const stamp = await this.readStamp();
    if (stamp && stamp.nodeId !== nodeId) {
      await this.unlock();
      throw new DataDirError(`data dir ${this.root} belongs to node ${stamp.nodeId}, not node ${nodeId}: use --node-id ${stamp.nodeId} or another --data-dir`);
    }
    return stamp ?? { nodeId, clusterId: null };
  }

  /** Records (once) the cluster this data belongs to; refuses a different one. */
  async stamp(nodeId: number, clusterId: string): Promise<void> {
    const existing = await this.readStamp();
    if (existing?.clusterId && existing.clusterId !== clusterId) {
      throw new DataDirError(`data dir ${this.root} belongs to cluster ${existing.clusterId}, not ${clusterId}`);
    }
    if (existing?.clusterId === clusterId) return;
    const text = `# kb data directory\nversion=1\nnode.id=${nodeId}\ncluster.id=${clusterId}\n`;
    await writeBytesAtomically(nodeStorageFs, this.root, stampFileName, Buffer.from(text));
  }

  private async readStamp(): Promise<DataDirStamp | null> {
    let text: string;
    try {
      text = await readFile(this.stampFile, 'utf8');
    } catch {
      return null;
    }
    const values = parseProperties(text);
    return { nodeId: Number(values.get('node.id')), clusterId: values.get('cluster.id') ?? null };
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

  async unlock(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    await rm(this.lockFile, { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
