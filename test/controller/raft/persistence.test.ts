import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RaftOutput } from '../../../src/controller/raft/output.ts';
import { loadPersisted, persistOutput, type RaftStores } from '../../../src/controller/raft/persistence.ts';
import type { LogEntry } from '../../../src/controller/raft/raft-log.ts';
import { MemoryDisk, SimCrash } from './memory-disk.ts';

const entry = (offset: number, epoch: number): LogEntry => ({ offset, epoch, kind: 'data', payload: new Uint8Array([offset]) });
const snapshot = { id: { endOffset: 2, epoch: 1 }, data: new Uint8Array([9]) };

function output(fields: Partial<RaftOutput>): RaftOutput {
  return { seq: 1, quorumState: null, logWrites: [], messages: [], applies: [], snapshotDue: false, ...fields };
}

test('an output\'s quorum state is written first, then its log writes in order', async () => {
  const calls: string[] = [];
  const stores: RaftStores = {
    quorum: { read: async () => null, write: async (s) => void calls.push(`quorum ${s.epoch}`) },
    log: {
      read: async () => ({ snapshot: null, entries: [] }),
      append: async (entries) => void calls.push(`append ${entries.map((e) => e.offset)}`),
      truncateTo: async (offset) => void calls.push(`truncate ${offset}`),
      saveSnapshot: async (s) => void calls.push(`snapshot ${s.id.endOffset}`),
    },
  };
  await persistOutput(
    output({
      quorumState: { epoch: 4, votedFor: 2, leaderId: null },
      logWrites: [
        { op: 'truncate', offset: 1 },
        { op: 'append', entries: [entry(1, 4), entry(2, 4)] },
        { op: 'snapshot', snapshot },
      ],
    }),
    stores,
  );
  assert.deepEqual(calls, ['quorum 4', 'truncate 1', 'append 1,2', 'snapshot 2']);
});

test('a node restarts from what was durable before a crash, a torn append and a half-done snapshot included', async () => {
  const disk = new MemoryDisk();
  await persistOutput(output({ quorumState: { epoch: 1, votedFor: 1, leaderId: 1 }, logWrites: [{ op: 'append', entries: [0, 1, 2].map((o) => entry(o, 1)) }] }), disk.stores);
  disk.crashAfterWrites(1);
  await assert.rejects(persistOutput(output({ logWrites: [{ op: 'append', entries: [3, 4].map((o) => entry(o, 1)) }] }), disk.stores), SimCrash);
  assert.deepEqual((await loadPersisted(disk.stores)).log.entries.map((e) => e.offset), [0, 1, 2, 3], 'the torn append kept its first entry');
  // The snapshot is stored, then the crash comes before the prefix goes: reading finishes the job.
  disk.crashAfterWrites(1);
  await assert.rejects(persistOutput(output({ logWrites: [{ op: 'snapshot', snapshot }] }), disk.stores), SimCrash);
  const restarted = await loadPersisted(disk.stores);
  assert.deepEqual(restarted.quorum, { epoch: 1, votedFor: 1, leaderId: 1 });
  assert.deepEqual(restarted.log.snapshot, snapshot);
  assert.deepEqual(restarted.log.entries.map((e) => e.offset), [2, 3]);
});
