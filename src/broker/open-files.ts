/**
 * The open file limit (RLIMIT_NOFILE, `ulimit -n`) against what a broker
 * may hold open: the file of each partition's active segment, the files of
 * sealed segments kept open while unused (at most
 * log.segment.open.files.max; the others are opened while read, one per
 * read in flight: storage/segment-file.ts), one per client connection up
 * to max.connections, and a reserve for the metadata log, listeners, reads
 * in flight and the like. Node raises its soft limit to the hard one at
 * start, so the limit read is the one the broker runs with. Linux only
 * (/proc/self/limits); elsewhere nothing is checked.
 */
import { readFileSync } from 'node:fs';

/** Files besides segments and connections: the metadata log, checkpoints being written, listeners, stdio. */
export const openFilesReserve = 64;

/** The soft open file limit of this process, or null when unknown (not Linux) or unlimited. */
export function openFileLimit(limitsText = readProcLimits()): number | null {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limitsText ?? '');
  return match && match[1] !== 'unlimited' ? Number(match[1]) : null;
}

function readProcLimits(): string | null {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
}

export interface OpenFilesNeed {
  partitions: number;
  /** Sealed (inactive) segments of those partitions. */
  sealedSegments: number;
  /** log.segment.open.files.max. */
  segmentFilesOpenMax: number;
  maxConnections: number;
}

/** The warning to log when `limit` is below what the broker may need, else null. */
export function openFilesWarning(limit: number | null, need: OpenFilesNeed): string | null {
  const sealedOpen = Math.max(0, Math.min(need.sealedSegments, need.segmentFilesOpenMax));
  const total = need.partitions + sealedOpen + need.maxConnections + openFilesReserve;
  if (limit === null || limit >= total) return null;
  return (
    `the open file limit (ulimit -n) is ${limit}, below the ${total} this broker may need: the active segment file of each of its ` +
    `${need.partitions} partition(s), ${sealedOpen} of its ${need.sealedSegments} sealed segment file(s) (log.segment.open.files.max), ` +
    `${need.maxConnections} connections (max.connections) and ${openFilesReserve} more. ` +
    `Raise it (ulimit -n ${total}, or LimitNOFILE= under systemd) or lower max.connections or log.segment.open.files.max, or it will fail with EMFILE`
  );
}
