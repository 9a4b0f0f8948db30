/**
 * The filesystem as the storage engine sees it: the few calls it makes,
 * behind an interface so tests (disk full, unwritable directory) and a
 * future simulation can substitute their own. `nodeStorageFs` is the real
 * one (node:fs/promises; its FileHandle already has the file methods).
 * Also the small helpers built only on the interface: fsync of a directory
 * and reading a whole range. No on-disk format lives here.
 */
import { promises as fsp } from 'node:fs';

export interface StorageFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  /** Positional gather write; may report fewer bytes than given (e.g. the disk filled up mid-way). */
  writev(buffers: readonly Buffer[], position: number): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/** Open flags used: 'r' read-only, 'r+' read-write existing, 'w+' read-write created or emptied, 'a+' read-write created if missing. */
export type OpenFlags = 'r' | 'r+' | 'w+' | 'a+';

export interface StorageFs {
  open(path: string, flags: OpenFlags): Promise<StorageFile>;
  readFile(path: string): Promise<Buffer>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Removes a directory tree; a missing path is not an error. */
  rmTree(path: string): Promise<void>;
  stat(path: string): Promise<{ size: number; isDirectory: boolean }>;
}

export const nodeStorageFs: StorageFs = {
  open: (path, flags) => fsp.open(path, flags),
  readFile: (path) => fsp.readFile(path),
  readdir: (path) => fsp.readdir(path),
  mkdir: async (path) => {
    await fsp.mkdir(path, { recursive: true });
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  rmTree: (path) => fsp.rm(path, { recursive: true, force: true }),
  stat: async (path) => {
    const s = await fsp.stat(path);
    return { size: s.size, isDirectory: s.isDirectory() };
  },
};

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/** Makes the directory's entries (created, renamed, removed files) durable. */
export async function fsyncDir(fs: StorageFs, dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads `length` bytes at `position` into memory from `allocate`, fewer only at the end of the file. */
export async function readAt(file: StorageFile, position: number, length: number, allocate: (size: number) => Buffer = Buffer.allocUnsafe): Promise<Buffer> {
  const buffer = allocate(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/** Removes a file if it exists. */
export async function unlinkIfExists(fs: StorageFs, path: string): Promise<boolean> {
  try {
    await fs.unlink(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
