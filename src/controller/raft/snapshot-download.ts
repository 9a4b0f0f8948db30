/**
 * A follower's download of the leader's snapshot with FetchSnapshot: the
 * chunks received so far, in order, from position 0 up to the snapshot's
 * size; `add` takes the next chunk and returns the whole snapshot once the
 * last one is in; `problem` says why an answer cannot be the next chunk.
 * Bounded by snapshotBytesMax.
 */
import assert from 'node:assert/strict';
import { snapshotBytesMax } from '../../limits.ts';
import type { FetchSnapshotResponse } from './messages.ts';
import type { Snapshot, SnapshotId } from './raft-log.ts';

export function sameSnapshotId(a: SnapshotId, b: SnapshotId): boolean {
  return a.endOffset === b.endOffset && a.epoch === b.epoch;
}

export class SnapshotDownload {
  readonly id: SnapshotId;
  private readonly chunks: Uint8Array[] = [];
  private received = 0;
  /** Total bytes, as the first answer gave it. */
  private size = -1;

  constructor(id: SnapshotId) {
    this.id = id;
  }

  /** Where the next chunk starts. */
  get position(): number {
    return this.received;
  }

  /** Why `response` cannot be the next chunk of this snapshot (the leader contradicts itself), or null. */
  problem(response: FetchSnapshotResponse): string | null {
    if (!sameSnapshotId(response.snapshotId, this.id)) return 'it is for another snapshot than the one asked for';
    if (response.position !== this.received) return `its chunk starts at ${response.position}, not at ${this.received}`;
    if (response.size > snapshotBytesMax) return `its snapshot is ${response.size} bytes, more than ${snapshotBytesMax}`;
    if (this.size >= 0 && response.size !== this.size) return `its snapshot changed size from ${this.size} to ${response.size} bytes`;
    if (this.received + response.bytes.length > response.size) return `its chunk ends past the snapshot's ${response.size} bytes`;
    return null;
  }

  /** Takes the next chunk (one `problem` found nothing wrong with); the whole snapshot once it is complete. */
  add(response: FetchSnapshotResponse): Snapshot | null {
    assert.equal(this.problem(response), null, 'chunks are checked before they are added');
    if (this.size < 0) this.size = response.size;
    this.chunks.push(response.bytes);
    this.received += response.bytes.length;
    if (this.received < response.size) return null;
    const data = new Uint8Array(this.received);
    let at = 0;
    for (const chunk of this.chunks) {
      data.set(chunk, at);
      at += chunk.length;
    }
    return { id: this.id, data };
  }
}
