/**
 * A follower's download of the leader's snapshot with FetchSnapshot: the
 * chunks received so far, in order, from position 0 up to the snapshot's
 * size; `add` takes the next chunk and returns the whole snapshot once the
 * last one is in. Bounded by snapshotBytesMax.
 */
import assert from 'node:assert/strict';
import { snapshotBytesMax } from './constants.ts';
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

  add(response: FetchSnapshotResponse): Snapshot | null {
    assert.ok(sameSnapshotId(response.snapshotId, this.id), 'the answer is for the snapshot asked for');
    assert.equal(response.position, this.received, 'chunks arrive in order');
    assert.ok(response.size <= snapshotBytesMax, 'snapshots are bounded');
    if (this.size < 0) this.size = response.size;
    assert.equal(response.size, this.size, 'a snapshot keeps its size');
    assert.ok(this.received + response.bytes.length <= response.size, 'chunks stay within the snapshot');
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
