/**
 * Which old segments a log may delete, as a count of segments from the
 * oldest (Kafka deletes a prefix, and so do we). Three passes, each going on
 * from where the previous stopped:
 * 1. segments wholly below the log start offset (DeleteRecords, restarts);
 * 2. with cleanup.policy containing delete and retention.ms >= 0: segments
 *    whose newest timestamp (creation time when they have none) is more
 *    than retention.ms old;
 * 3. likewise with retention.bytes >= 0: while the log minus the segment is
 *    still at least retention.bytes.
 * Never the active (last) segment, and never a segment holding offsets at or
 * above the high watermark (not yet committed). Pure; no I/O, no format.
 */
import type { LogConfig } from './log-config.ts';
import type { Segment } from './segment.ts';

export interface RetentionView {
  /** Oldest first; the inactive ones already loaded (their timestamps known). */
  segments: readonly Segment[];
  config: LogConfig;
  nowMs: number;
  logStartOffset: number;
  highWatermark: number;
}

export function retentionDeletable(view: RetentionView, options: { deleteByRetention: boolean }): number {
  const { segments, config } = view;
  const deletable = (i: number) => i < segments.length - 1 && segments[i + 1].baseOffset <= view.highWatermark;
  let count = 0;
  while (deletable(count) && segments[count + 1].baseOffset <= view.logStartOffset) count++;
  if (!options.deleteByRetention) return count;
  if (config.retentionMs >= 0) {
    const newest = (s: Segment) => (s.maxTimestamp >= 0 ? s.maxTimestamp : s.createdMs);
    while (deletable(count) && view.nowMs - newest(segments[count]) > config.retentionMs) count++;
  }
  if (config.retentionBytes >= 0) {
    let excess = segments.slice(count).reduce((sum, s) => sum + s.size, 0) - config.retentionBytes;
    while (deletable(count) && excess - segments[count].size >= 0) {
      excess -= segments[count].size;
      count++;
    }
  }
  return count;
}
