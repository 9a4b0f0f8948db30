import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../../src/logger.ts';
import { DiskRaftLogStore, snapshotFile } from '../../../src/controller/raft/log-store.ts';
import { loadPersisted, persistOutput } from '../../../src/controller/raft/persistence.ts';
import { FileQuorumStateStore, quorumStateFile } from '../../../src/controller/raft/quorum-state-store.ts';
import type { EntryKind, LogEntry, Snapshot } from '../../../src/controller/raft/raft-log.ts';
import { MetadataLog } from '../../helpers/legacy-metadata-log.ts';
import { decodeMetadataRecord, type MetadataRecord } from '../../../src/metadata/records.ts';
import { writeAtomically } from '../../../src/storage/checkpoint.ts';
import { nodeStorageFs } from '../../../src/storage/fs.ts';
import { Log } from '../../../src/storage/log.ts';
import { defer, tempDir } from '../../storage/helpers.ts';

const env = { logger: silentLogger };

const entry = (offset: number, epoch: number, kind: EntryKind = 'data'): LogEntry => ({
  offset,
  epoch,
  kind,
  payload: kind === 'data' ? new Uint8Array([offset, epoch, 7]) : new Uint8Array(0),
});

/** Entries offsets [from, to) of one epoch, the first a leader change when `leaderChange`. */
function run(from: number, to: number, epoch: number, leaderChange = false): LogEntry[] {
  const out: LogEntry[] = [];
  for (let offset = from; offset < to; offset++) out.push(entry(offset, epoch, leaderChange && offset === from ? 'leaderChange' : 'data'));
  return out;
}

async function openLog(t: TestContext, dir: string): Promise<DiskRaftLogStore> {
  const store = await DiskRaftLogStore.open(dir, env);
  defer(t, () => store.close());
  return store;
}

/** Closes `store` and reads the directory back through a fresh one. */
async function reopenAndRead(t: TestContext, store: DiskRaftLogStore, dir: string) {
  await store.close();
  return (await openLog(t, dir)).read();
}

test('entries of several epochs and kinds round-trip, also across a reopen', async (t) => {
  const dir = await tempDir(t, 'kb-raft-store-');
  const store = await openLog(t, dir);
  assert.deepEqual(await store.read(), { snapshot: null, entries: [] });
  const entries = [...run(0, 3, 1, true), ...run(3, 7, 2, true)];
  await store.append(entries.slice(0, 4));
  await store.append(entries.slice(4));
  assert.deepEqual(await store.read(), { snapshot: null, entries });
  assert.deepEqual(await reopenAndRead(t, store, dir), { snapshot: null, entries });
});

test('an append that does not continue the log is refused', async (t) => {
  const store = await openLog(t, await tempDir(t, 'kb-raft-store-'));
  await store.append(run(0, 2, 1));
  await assert.rejects(store.append([entry(3, 1)]), /does not continue/);
  assert.equal((await store.read()).entries.length, 2);
});

test('truncation after a divergence removes the entries at and after the offset, durably', async (t) => {
  const dir = await tempDir(t, 'kb-raft-store-');
  const store = await openLog(t, dir);
  await store.append([...run(0, 2, 1, true), ...run(2, 6, 2, true)]);
  await store.truncateTo(4);
  await store.truncateTo(9);
  const expected = [...run(0, 2, 1, true), ...run(2, 4, 2, true), ...run(4, 6, 3, true)];
  await store.append(expected.slice(4));
  assert.deepEqual(await store.read(), { snapshot: null, entries: expected });
  assert.deepEqual(await reopenAndRead(t, store, dir), { snapshot: null, entries: expected });
});

test('a snapshot replaces the entries below its end offset, and a log ending below it restarts there', async (t) => {
  const dir = await tempDir(t, 'kb-raft-store-');
  const store = await openLog(t, dir);
  const entries = [...run(0, 4, 1, true), ...run(4, 10, 2, true)];
  await store.append(entries);
  const first: Snapshot = { id: { endOffset: 6, epoch: 2 }, data: new Uint8Array([1, 2, 3]) };
  await store.saveSnapshot(first);
  assert.deepEqual(await store.read(), { snapshot: first, entries: entries.slice(6) });

  await store.close();
  const raw = await Log.open(dir, {}, env);
  defer(t, () => raw.close());
  assert.equal(raw.logStartOffset, 6n, 'the prefix drop is durable');
  await raw.close();

  const reopened = await openLog(t, dir);
  assert.deepEqual(await reopened.read(), { snapshot: first, entries: entries.slice(6) });
  const beyond: Snapshot = { id: { endOffset: 15, epoch: 4 }, data: new Uint8Array(100_000).fill(5) };
  await reopened.saveSnapshot(beyond);
  await reopened.append(run(15, 17, 4));
  assert.deepEqual(await reopenAndRead(t, reopened, dir), { snapshot: beyond, entries: run(15, 17, 4) });
});

test('a snapshot stored before a crash that kept its prefix from being dropped is finished by read()', async (t) => {
  const dir = await tempDir(t, 'kb-raft-store-');
  const store = await openLog(t, dir);
  const entries = run(0, 8, 1, true);
  await store.append(entries);
  await store.close();
  const within: Snapshot = { id: { endOffset: 5, epoch: 1 }, data: new Uint8Array([4]) };
  await writeAtomically(nodeStorageFs, dir, snapshotFile, { version: 1, endOffset: 5, epoch: 1, data: within.data });
  const afterCrash = await openLog(t, dir);
  assert.deepEqual(await afterCrash.read(), { snapshot: within, entries: entries.slice(5) });
  assert.deepEqual(await reopenAndRead(t, afterCrash, dir), { snapshot: within, entries: entries.slice(5) });

  const past: Snapshot = { id: { endOffset: 20, epoch: 3 }, data: new Uint8Array([6]) };
  await writeAtomically(nodeStorageFs, dir, snapshotFile, { version: 1, endOffset: 20, epoch: 3, data: past.data });
  assert.deepEqual(await (await openLog(t, dir)).read(), { snapshot: past, entries: [] });
});

test('a log that does not start where the snapshot ends, or a damaged snapshot file, fails read()', async (t) => {
  const dir = await tempDir(t, 'kb-raft-store-');
  const store = await openLog(t, dir);
  await store.append(run(0, 4, 1));
  await store.saveSnapshot({ id: { endOffset: 3, epoch: 1 }, data: new Uint8Array([1]) });
  await store.close();
  await writeAtomically(nodeStorageFs, dir, snapshotFile, { version: 1, endOffset: 1, epoch: 1, data: new Uint8Array([1]) });
  await assert.rejects((await openLog(t, dir)).read(), /starts at 3, not at the snapshot end 1/);
  await writeFile(path.join(dir, snapshotFile), Buffer.from([0xc1]));
  await assert.rejects((await openLog(t, dir)).read(), /unreadable/);
});

test('a directory written by the metadata log reads back as data entries of epoch 0, and truncates exactly', async (t) => {
  const dir = await tempDir(t, 'kb-raft-store-');
  const records: MetadataRecord[] = [
    { type: 'cluster', clusterId: 'c1' },
    { type: 'topic', name: 'a', topicId: '0'.repeat(32) },
    { type: 'topic', name: 'b', topicId: '1'.repeat(32) },
    { type: 'topic', name: 'c', topicId: '2'.repeat(32) },
  ];
  const metadata = new MetadataLog(dir, silentLogger);
  await metadata.open();
  await metadata.append(records.slice(0, 1));
  await metadata.append(records.slice(1));
  await metadata.close();

  const store = await openLog(t, dir);
  const { snapshot, entries } = await store.read();
  assert.equal(snapshot, null);
  assert.deepEqual(
    entries.map((e) => [e.offset, e.epoch, e.kind]),
    records.map((_, i) => [i, 0, 'data']),
  );
  assert.deepEqual(
    entries.map((e) => decodeMetadataRecord(Buffer.from(e.payload))),
    records,
  );

  await store.truncateTo(2);
  await store.append([entry(2, 1, 'leaderChange')]);
  const expected = [...entries.slice(0, 2), entry(2, 1, 'leaderChange')];
  assert.deepEqual((await reopenAndRead(t, store, dir)).entries, expected);
});

test('the quorum state round-trips through its file, and a damaged file is an error rather than no state', async (t) => {
  const dir = path.join(await tempDir(t, 'kb-raft-store-'), 'metadata');
  const quorum = await FileQuorumStateStore.open(dir);
  assert.equal(await quorum.read(), null);
  await quorum.write({ epoch: 3, votedFor: 2, leaderId: null });
  await quorum.write({ epoch: 3, votedFor: 2, leaderId: 1 });
  assert.deepEqual(await (await FileQuorumStateStore.open(dir)).read(), { epoch: 3, votedFor: 2, leaderId: 1 });
  await writeAtomically(nodeStorageFs, dir, quorumStateFile, { version: 1, epoch: -1, votedFor: null, leaderId: null });
  await assert.rejects(quorum.read(), /invalid quorum state/);
  await writeFile(path.join(dir, quorumStateFile), Buffer.alloc(0));
  await assert.rejects(quorum.read(), /unreadable/);
});

test('persistOutput and loadPersisted work over the disk stores', async (t) => {
  const dir = await tempDir(t, 'kb-raft-store-');
  const stores = { quorum: await FileQuorumStateStore.open(dir, env), log: await openLog(t, dir) };
  const snapshot: Snapshot = { id: { endOffset: 2, epoch: 5 }, data: new Uint8Array([8]) };
  await persistOutput(
    {
      seq: 1,
      quorumState: { epoch: 5, votedFor: 1, leaderId: 1 },
      logWrites: [
        { op: 'append', entries: run(0, 4, 5, true) },
        { op: 'truncate', offset: 3 },
        { op: 'snapshot', snapshot },
      ],
      messages: [],
      applies: [],
      snapshotDue: false,
    },
    stores,
  );
  await stores.log.close();
  const reopened = { quorum: await FileQuorumStateStore.open(dir, env), log: await openLog(t, dir) };
  assert.deepEqual(await loadPersisted(reopened), {
    quorum: { epoch: 5, votedFor: 1, leaderId: 1 },
    log: { snapshot, entries: [entry(2, 5)] },
  });
});
