/**
 * The one error type the storage engine throws on purpose, with a code the
 * broker maps to a Kafka error:
 * - invalidBatch: the bytes are not a well-formed v2 batch (INVALID_RECORD /
 *   CORRUPT_MESSAGE);
 * - outOfOrder: a follower batch does not continue the log
 *   (OFFSET_OUT_OF_RANGE / fatal for the fetcher);
 * - offsetOutOfRange: a read or offset outside [logStartOffset, logEndOffset];
 * - ioFailed: the disk refused a write (disk full, I/O error); nothing of the
 *   failed append is visible or acknowledged; or a segment file could not be
 *   opened (EMFILE: out of file descriptors) (KAFKA_STORAGE_ERROR, retriable);
 * - corrupt: stored bytes failed validation on a read; they are not served
 *   (KAFKA_STORAGE_ERROR);
 * - offline: an earlier I/O failure left the log in an unknown state; it
 *   serves reads but takes no writes until reopened (KAFKA_STORAGE_ERROR);
 * - closed: the log was closed;
 * - deleted: a read met a segment deleted meanwhile (retention, DeleteRecords,
 *   truncation, compaction); the log retries it once from its current
 *   segments (segment-file.ts);
 * - notWritable: a data directory cannot be written at start;
 * - invalidName: a partition name that cannot be a directory name.
 */
export type StorageErrorCode = 'invalidBatch' | 'outOfOrder' | 'offsetOutOfRange' | 'ioFailed' | 'corrupt' | 'offline' | 'closed' | 'deleted' | 'notWritable' | 'invalidName';

export class StorageError extends Error {
  override name = 'StorageError';
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** "ENOSPC: no space left on device, write" -> "no space left on device (ENOSPC)". */
export function describeIoError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!e?.code) return String((err as Error)?.message ?? err);
  const text = e.message.replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '');
  return `${text} (${e.code})`;
}
