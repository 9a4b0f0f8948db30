/**
 * kb against its peers and the machine's limits, in one run (the default
 * of `npm run bench`):
 * 1. baselines: sequential fs writes to the data dir's disk (page cache and
 *    with fdatasync) of the 1 KB case's bytes (three times, the median
 *    kept) and loopback TCP between cores;
 * 2. kb single node, 1 partition, acks=1: N small and M large records
 *    produced by kcat (three runs after a warm-up, the median kept), by
 *    one pre-encoded batch resent (lib/batch-replay.ts: the broker's own
 *    ceiling, likewise) and by kb bench produce, read back by kcat -C -e
 *    (each kcat topic, the median kept) and kb bench consume (lib/kb.ts);
 *    how busy kcat and the broker were while producing says which of them
 *    set the ingest figure;
 * 3. kb 3-node rf=3 acks=all, 1 partition: the large records produced by
 *    kcat (lib/kb.ts kbThreeNodes, likewise), against the single node's
 *    kcat ingest, twice: all nodes on core 0, and nodes and kcat left to
 *    the scheduler;
 * 3b. transactions: confluent-kafka producing the large records to one kb
 *    node with acks=all, idempotent and as transactions of 1,000 records
 *    (lib/transactions.ts); the note gives transactional/idempotent;
 * 3c. security: the large records produced and consumed by kcat over
 *    PLAINTEXT, SSL and SASL_SSL (SCRAM-SHA-512) to one node, and produced
 *    over PLAINTEXT to a node with the authorizer on and one ACL per topic
 *    (lib/security.ts, medians of 3); the notes give each against
 *    PLAINTEXT, and a goal the authorizer's cost;
 * 4. peers with the same counts and sizes, each driven by a load
 *    generator that should not be what limits it: Redis Streams XADD from
 *    redis-benchmark over several pipelined connections, persistence off
 *    and appendonly everysec (lib/redis.ts), NATS JetStream file storage
 *    from a native Go async publisher (lib/nats.ts); each row gives how
 *    busy the server and the generator were, and a peer whose generator
 *    was saturated while the server was not gets no kb/peer ratio;
 * 5. compression: kcat producing the large records to one kb node
 *    uncompressed and with lz4, snappy, zstd and gzip, in turns
 *    (lib/compression.ts), with kcat's and the broker's busy shares;
 * 6. scaling: the curves of scaling.ts (partitions, clients, idle
 *    connections, recovery), printed after the table, their goals with
 *    the others.
 * Servers run on core 0, load generators on core 1 (but for the second
 * 3-node run); dirty pages are written out before every timed run
 * (lib/processes.ts). Prints one table
 * (records/s, MB/s = 2^20 bytes of record values, kb/peer against kb's kcat
 * ingest of the same size, kb/disk against the fdatasync'd and page-cache
 * writes), the goals reached or not, and writes everything as JSON to
 * <results>/compare-<time>.json. Missing kcat, redis-server, nats-server or
 * go are installed with apt-get; a peer that cannot run is listed as not
 * available. Options: --sections (a comma list of baselines, kb,
 * three-nodes, transactions, security, peers, compression, scaling; all by default),
 * --records-small N (1000000), --records-large N (200000), --size-small B
 * (100), --size-large B (1024), --compression-rounds N (3: each codec
 * once a round, the median kept), --dir D (OS temp dir), --results D
 * (bench/results), --time-limit S per step (600), and scaling.ts's.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderTable } from '../src/cli/output.ts';
import { loopbackTcp, sequentialWrite, type DiskBaseline } from './lib/baselines.ts';
import { kbSingleNode, kbThreeNodes, type KbSingleNode, type ReplayRun } from './lib/kb.ts';
import { kbTransactions } from './lib/transactions.ts';
import { kbSecurity, securityProtocols } from './lib/security.ts';
import { buildNatsPublisher, natsJetStream } from './lib/nats.ts';
import { compressionCodecs, kbCompressedIngest, type CompressedRun } from './lib/compression.ts';
import { ensureDebianPackages, saturatedBusy, type PeerRun } from './lib/processes.ts';
import { redisLoad, redisXadd } from './lib/redis.ts';
import { runScaling, scalingOptions, scalingOptionsOf, goalLine, type Goal, type ScalingResults } from './scaling.ts';

const mib = 1024 * 1024;
const loopbackBytes = 4 * 1024 * mib;

interface Row {
  case: string;
  records: number | null;
  recordSize: number | null;
  recordsPerSec: number | null;
  mbPerSec: number | null;
  note: string;
  /** A peer's row whose load generator, not the peer, set the pace: no kb/peer ratio is taken against it. */
  generatorBound?: boolean;
}

/** The disk baseline varies several-fold between runs on a shared VM: it is taken this often and the median kept. */
const diskRuns = 3;
const replayCase = (size: number) => `kb produce ${size} B, batch replay, acks=1`;
const recordsPerTransaction = 1000;
const securityRounds = 3;
const securityIngestCase = (size: number, protocol: string) => `kb produce ${size} B, kcat over ${protocol}`;
const securityConsumeCase = (size: number, protocol: string) => `kb consume ${size} B, kcat -C -e over ${protocol}`;
const aclIngestCase = (size: number) => `kb produce ${size} B, kcat, authorizer on, 1 ACL per topic`;
const compressedCase = (size: number, codec: string) => `kb produce ${size} B, kcat ${codec === 'none' ? 'uncompressed' : codec}, acks=1`;
/** What `--sections` may name, in the order they run. */
const sections = ['baselines', 'kb', 'three-nodes', 'transactions', 'security', 'peers', 'compression', 'scaling'] as const;
const threeNodeCase = (size: number, pinned: boolean) => `kb produce ${size} B, kcat, 3 nodes rf=3 acks=all${pinned ? '' : ', unpinned'}`;

function row(name: string, records: number, recordSize: number, seconds: number, note = ''): Row {
  return { case: name, records, recordSize, recordsPerSec: records / seconds, mbPerSec: (records * recordSize) / mib / seconds, note };
}

/** The row of the median of timed runs of the same work, with their range in the note. */
function medianRow(name: string, records: number, recordSize: number, seconds: number[], note: string): Row {
  const runs = seconds.map((s) => row(name, records, recordSize, s)).sort((a, b) => a.mbPerSec! - b.mbPerSec!);
  const range = `median of ${runs.length} (${runs[0].mbPerSec!.toFixed(0)}-${runs.at(-1)!.mbPerSec!.toFixed(0)} MB/s)`;
  return { ...runs[Math.floor(runs.length / 2)], note: `${note}, ${range}` };
}

const secondsOf = (runs: { seconds: number }[]) => runs.map((r) => r.seconds);

function median<Run extends { seconds: number }>(runs: Run[]): Run {
  return runs[Math.floor(runs.length / 2)];
}

function percent(part: number, whole: number): string {
  return `${Math.round((100 * part) / whole)}%`;
}

const brokerBusy = (run: ReplayRun) => percent(run.brokerCpuSeconds, run.seconds);
const busyNote = (run: CompressedRun) => `kcat busy ${percent(run.kcatCpuSeconds, run.seconds)}, broker ${percent(run.brokerCpuSeconds, run.seconds)}`;

/**
 * A peer's row with how busy its server and its load generator were; a
 * generator busier than `saturatedBusy` while the server was not set the
 * pace itself, so the row says so and takes no kb/peer ratio.
 */
function peerRow(name: string, size: number, run: PeerRun, generator: string): Row {
  const server = run.serverCpuSeconds / run.wallSeconds;
  const client = run.generatorCpuSeconds / run.wallSeconds;
  const generatorBound = client >= saturatedBusy && server < saturatedBusy;
  const pace = server >= saturatedBusy ? 'server saturated' : generatorBound ? 'NOT SATURATED: the load generator set the pace' : 'neither saturated';
  const busy = `server busy ${percent(run.serverCpuSeconds, run.wallSeconds)}, ${generator} ${percent(run.generatorCpuSeconds, run.wallSeconds)}: ${pace}`;
  return { ...row(name, run.records, size, run.seconds, busy), generatorBound };
}

function missing(name: string, why: string): Row {
  return { case: name, records: null, recordSize: null, recordsPerSec: null, mbPerSec: null, note: `not available (${why})` };
}

/** Runs a step, turning its failure into a "not available" row so the rest of the bench still runs. */
async function attempt(name: string, step: () => Promise<Row[]>): Promise<Row[]> {
  try {
    return await step();
  } catch (err) {
    process.stderr.write(`${name} failed: ${(err as Error).message}\n`);
    return [missing(name, (err as Error).message.split('\n')[0].slice(0, 80))];
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'records-small': { type: 'string', default: '1000000' },
      'records-large': { type: 'string', default: '200000' },
      'size-small': { type: 'string', default: '100' },
      'size-large': { type: 'string', default: '1024' },
      dir: { type: 'string', default: os.tmpdir() },
      'time-limit': { type: 'string', default: '600' },
      sections: { type: 'string', default: sections.join(',') },
      'compression-rounds': { type: 'string', default: '3' },
      ...scalingOptions,
    },
  });
  const chosen = values.sections!.split(',');
  const unknown = chosen.filter((s) => !(sections as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}: the sections are ${sections.join(', ')}`);
  const wants = (section: (typeof sections)[number]) => chosen.includes(section);
  const cases = [
    { records: Number(values['records-small']), size: Number(values['size-small']) },
    { records: Number(values['records-large']), size: Number(values['size-large']) },
  ];
  const timeLimitMs = Number(values['time-limit']) * 1000;
  const tools = {
    kcat: ensureDebianPackages(['kcat'], ['kcat']),
    redis: ensureDebianPackages(['redis-server', 'redis-benchmark', 'redis-cli'], ['redis-server', 'redis-tools']),
    nats: ensureDebianPackages(['nats-server'], ['nats-server']),
    go: ensureDebianPackages(['go'], ['golang-go', 'golang-github-nats-io-go-nats-dev']),
  };
  const dir = await mkdtemp(path.join(values.dir!, 'kb-bench-compare-'));
  const rows: Row[] = [];
  const kbRuns: Record<number, KbSingleNode> = {};
  let scaling: ScalingResults | null = null;
  const step = (label: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${label}\n`);
  try {
    const large = cases[1];
    if (wants('baselines')) {
      step('baselines');
      const disks: DiskBaseline[] = [];
      for (let i = 0; i < diskRuns; i++) disks.push(await sequentialWrite(dir, large.records * large.size));
      for (const [name, seconds, how] of [
        ['disk: sequential fs writes + fdatasync', (d: DiskBaseline) => d.syncedSeconds, '1 MiB writes'],
        ['disk: sequential fs writes (page cache)', (d: DiskBaseline) => d.bufferedSeconds, '1 MiB writes, no fsync'],
      ] as const) {
        rows.push(medianRow(name, large.records, large.size, disks.map(seconds), how));
      }
      const tcp = await loopbackTcp(loopbackBytes, timeLimitMs);
      rows.push({ case: 'loopback TCP, 2 processes', records: null, recordSize: null, recordsPerSec: null, mbPerSec: tcp.bytes / mib / tcp.seconds, note: '1 MiB writes' });
    }

    if (wants('kb')) {
      for (const c of cases) {
        step(`kb single node, ${c.records} x ${c.size} B`);
        rows.push(
          ...(await attempt(`kb ${c.size} B`, async () => {
            if (!tools.kcat) throw new Error('kcat missing');
            const r = await kbSingleNode(dir, c.records, c.size, timeLimitMs);
            kbRuns[c.size] = r;
            const rss = r.brokerPeakRssMib === null ? '' : `, broker peak RSS ${r.brokerPeakRssMib.toFixed(0)} MiB`;
            const kcatMedian = median(r.kcatProduce);
            const kcatBusy = `kcat busy ${percent(kcatMedian.cpuSeconds, kcatMedian.seconds)}, broker ${brokerBusy(kcatMedian)}${rss}`;
            const l = r.kbProduce.latency;
            return [
              medianRow(`kb produce ${c.size} B, kcat, acks=1`, c.records, c.size, secondsOf(r.kcatProduce), kcatBusy),
              medianRow(replayCase(c.size), c.records, c.size, secondsOf(r.replayProduce), `one pre-encoded batch resent: the broker's ceiling, broker busy ${brokerBusy(median(r.replayProduce))}`),
              row(`kb produce ${c.size} B, kb bench, acks=1`, r.kbProduce.records, c.size, r.kbProduce.seconds, `latency ms p50 ${l.p50Ms} p99 ${l.p99Ms} max ${l.maxMs}`),
              medianRow(`kb consume ${c.size} B, kcat -C -e`, c.records, c.size, secondsOf(r.kcatConsume), 'fetch.wait.max.ms=10'),
              row(`kb consume ${c.size} B, kb bench`, r.kbConsume.records, c.size, r.kbConsume.seconds),
            ];
          })),
        );
      }
    }
    if (wants('three-nodes')) {
      for (const pinned of [true, false]) {
        step(`kb 3 nodes rf=3${pinned ? '' : ' unpinned'}, ${large.records} x ${large.size} B`);
        rows.push(
          ...(await attempt(threeNodeCase(large.size, pinned), async () => {
            if (!tools.kcat) throw new Error('kcat missing');
            const runs = await kbThreeNodes(dir, large.records, large.size, timeLimitMs, pinned);
            const note = pinned ? '1 partition, 3 nodes on core 0' : '1 partition, nodes and kcat on any core';
            return [medianRow(threeNodeCase(large.size, pinned), large.records, large.size, secondsOf(runs), note)];
          })),
        );
      }
    }

    if (wants('transactions')) {
      step(`kb transactions, ${large.records} x ${large.size} B`);
      rows.push(
        ...(await attempt(`kb transactions ${large.size} B`, async () => {
          const r = await kbTransactions(dir, large.records, large.size, recordsPerTransaction, timeLimitMs);
          const ratio = `${(r.idempotentSeconds / r.transactionalSeconds).toFixed(2)}x the idempotent rate`;
          return [
            row(`kb produce ${large.size} B, confluent-kafka idempotent acks=all`, large.records, large.size, r.idempotentSeconds, '1 partition'),
            row(`kb produce ${large.size} B, confluent-kafka transactions of ${recordsPerTransaction}`, large.records, large.size, r.transactionalSeconds, ratio),
          ];
        })),
      );
    }

    if (wants('security')) {
      step(`kb security, ${large.records} x ${large.size} B`);
      rows.push(
        ...(await attempt(`kb security ${large.size} B`, async () => {
          if (!tools.kcat) throw new Error('kcat missing');
          const r = await kbSecurity(dir, large.records, large.size, securityRounds, timeLimitMs);
          const middle = (runs: number[]) => [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
          const against = (runs: number[], plaintext: number[]) => `${(middle(plaintext) / middle(runs)).toFixed(2)}x PLAINTEXT`;
          return [
            ...securityProtocols.map((p) => medianRow(securityIngestCase(large.size, p), large.records, large.size, r.ingest[p], `acks=1, ${against(r.ingest[p], r.ingest.PLAINTEXT)}`)),
            medianRow(aclIngestCase(large.size), large.records, large.size, r.ingestWithAcls, `PLAINTEXT, ${against(r.ingestWithAcls, r.ingest.PLAINTEXT)} without the authorizer`),
            ...securityProtocols.map((p) => medianRow(securityConsumeCase(large.size, p), large.records, large.size, r.consume[p], against(r.consume[p], r.consume.PLAINTEXT))),
          ];
        })),
      );
    }

    if (wants('peers')) {
      const publisher = tools.nats && tools.go ? await buildNatsPublisher(dir, timeLimitMs).catch((err: Error) => err) : new Error('nats-server or go missing');
      for (const c of cases) {
        for (const persistence of ['none', 'aof-everysec'] as const) {
          step(`redis ${persistence}, ${c.records} x ${c.size} B`);
          const name = `redis XADD ${c.size} B, ${persistence === 'none' ? 'no persistence' : 'appendonly everysec'}`;
          rows.push(
            ...(await attempt(name, async () => {
              if (!tools.redis) throw new Error('redis-server missing');
              const r = await redisXadd(dir, persistence, c.records, c.size, timeLimitMs);
              return [peerRow(name, c.size, r, `redis-benchmark -c ${redisLoad.connections} -P ${redisLoad.pipelineDepth}`)];
            })),
          );
        }
        step(`nats, ${c.records} x ${c.size} B`);
        const name = `NATS JetStream ${c.size} B, file storage`;
        rows.push(
          ...(await attempt(name, async () => {
            if (publisher instanceof Error) throw publisher;
            return [peerRow(name, c.size, await natsJetStream(dir, publisher, c.records, c.size, timeLimitMs), 'Go nats.go, async publish')];
          })),
        );
      }
    }

    if (wants('compression')) {
      step(`kb compressed ingest, ${large.records} x ${large.size} B`);
      rows.push(
        ...(await attempt(`kb produce ${large.size} B compressed`, async () => {
          if (!tools.kcat) throw new Error('kcat missing');
          const runs = await kbCompressedIngest(dir, large.records, large.size, Number(values['compression-rounds']), timeLimitMs);
          return compressionCodecs.map((codec) => medianRow(compressedCase(large.size, codec), large.records, large.size, secondsOf(runs[codec]), busyNote(median(runs[codec]))));
        })),
      );
    }
    if (wants('scaling')) {
      step('scaling');
      scaling = await runScaling(dir, scalingOptionsOf(values), step);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  report(rows, cases, kbRuns, scaling, values.results!);
}

function report(rows: Row[], cases: { records: number; size: number }[], kbRuns: Record<number, KbSingleNode>, scaling: ScalingResults | null, resultsDir: string): void {
  const find = (name: string) => rows.find((r) => r.case === name)?.mbPerSec ?? null;
  const findRate = (name: string) => rows.find((r) => r.case === name)?.recordsPerSec ?? null;
  const diskSynced = find('disk: sequential fs writes + fdatasync');
  const diskCache = find('disk: sequential fs writes (page cache)');
  const ratio = (a: number | null, b: number | null) => (a === null || b === null ? '' : (a / b).toFixed(2));
  const kcatIngest = (size: number | null) => rows.find((r) => r.case === `kb produce ${size} B, kcat, acks=1`)?.recordsPerSec ?? null;
  const table = rows.map((r) => {
    const isKb = r.case.startsWith('kb ');
    const isPeer = r.case.startsWith('redis') || r.case.startsWith('NATS');
    return [
      r.case,
      r.records,
      r.recordSize,
      r.recordsPerSec === null ? null : Math.round(r.recordsPerSec),
      r.mbPerSec === null ? null : r.mbPerSec.toFixed(1),
      isPeer ? (r.generatorBound ? 'n/a' : ratio(kcatIngest(r.recordSize), r.recordsPerSec)) : '',
      isKb ? `${ratio(r.mbPerSec, diskSynced)} / ${ratio(r.mbPerSec, diskCache)}` : '',
      r.note,
    ];
  });
  const out: string[] = [];
  out.push(`kb vs peers and the machine (node ${process.version}, ${os.availableParallelism()} CPUs, servers on core 0, load generators on core 1)`);
  out.push(renderTable(['CASE', 'RECORDS', 'SIZE', 'RECORDS/S', 'MB/S', 'KB/PEER', 'KB/DISK (sync / cache)', 'NOTE'], table));
  out.push('MB = 2^20 bytes of record values; KB/PEER = kb ingest by kcat (records/s, same size) / peer, n/a where the peer was not driven to saturation');

  const [small, large] = cases;
  const goals: Goal[] = [];
  const peerGoal = (size: number, peer: string, what: string) => {
    const measured = rows.find((r) => r.case === peer);
    const kb = kcatIngest(size);
    const rate = measured?.recordsPerSec ?? null;
    if (measured?.generatorBound) goals.push({ goal: `${size} B kcat ingest >= ${what}`, reached: null, figure: 'the peer was not saturated (its row says why)' });
    else goals.push({ goal: `${size} B kcat ingest >= ${what}`, reached: kb && rate ? kb >= rate : null, figure: `${ratio(kb, rate)}x` });
  };
  peerGoal(small.size, `redis XADD ${small.size} B, no persistence`, 'Redis XADD (no persistence)');
  peerGoal(large.size, `redis XADD ${large.size} B, appendonly everysec`, 'Redis XADD (appendonly everysec)');
  peerGoal(large.size, `NATS JetStream ${large.size} B, file storage`, 'NATS JetStream (file storage)');
  const uncompressed = findRate(compressedCase(large.size, 'none'));
  for (const codec of ['lz4', 'zstd']) {
    const compressed = findRate(compressedCase(large.size, codec));
    goals.push({ goal: `${large.size} B ${codec} ingest (kcat) >= 0.7x uncompressed`, reached: compressed && uncompressed ? compressed >= 0.7 * uncompressed : null, figure: `${ratio(compressed, uncompressed)}x` });
  }
  const kbLargeMb = find(`kb produce ${large.size} B, kcat, acks=1`);
  goals.push({ goal: `${large.size} B ingest >= 70% of sequential disk write (fdatasync)`, reached: kbLargeMb && diskSynced ? kbLargeMb >= 0.7 * diskSynced : null, figure: `${ratio(kbLargeMb, diskSynced)}x` });
  goals.push({ goal: `${large.size} B ingest >= 70% of sequential write to the page cache`, reached: kbLargeMb && diskCache ? kbLargeMb >= 0.7 * diskCache : null, figure: `${ratio(kbLargeMb, diskCache)}x` });
  const consumeLarge = find(`kb consume ${large.size} B, kcat -C -e`);
  goals.push({ goal: `${large.size} B consume (kcat) >= 2x ingest (kcat)`, reached: consumeLarge && kbLargeMb ? consumeLarge >= 2 * kbLargeMb : null, figure: `${ratio(consumeLarge, kbLargeMb)}x` });
  for (const pinned of [true, false]) {
    const threeNodes = find(threeNodeCase(large.size, pinned));
    const how = pinned ? 'all 3 nodes on core 0' : 'nodes unpinned';
    goals.push({ goal: `${large.size} B 3-node rf=3 acks=all (${how}) >= 40% of single node (kcat)`, reached: threeNodes && kbLargeMb ? threeNodes >= 0.4 * kbLargeMb : null, figure: `${ratio(threeNodes, kbLargeMb)}x` });
  }
  const withAcls = find(aclIngestCase(large.size));
  const withoutAcls = find(securityIngestCase(large.size, 'PLAINTEXT'));
  goals.push({ goal: `${large.size} B ingest with the authorizer on and 1 ACL per topic >= 95% of it off`, reached: withAcls && withoutAcls ? withAcls >= 0.95 * withoutAcls : null, figure: `${ratio(withAcls, withoutAcls)}x` });
  for (const c of cases) {
    const kbBench = kbRuns[c.size]?.kbProduce;
    const kcat = kcatIngest(c.size);
    const p50 = kbBench?.latency.p50Ms;
    goals.push({ goal: `${c.size} B kb bench produce >= 0.9x kcat, p50 latency < 20 ms`, reached: kbBench && kcat ? kbBench.recordsPerSec >= 0.9 * kcat && p50! < 20 : null, figure: kbBench && kcat ? `${ratio(kbBench.recordsPerSec, kcat)}x, p50 ${p50} ms` : '' });
  }
  const rss = kbRuns[small.size]?.brokerPeakRssMib ?? null;
  goals.push({ goal: `broker peak RSS < 300 MB under ${small.records} records`, reached: rss === null ? null : rss < 300, figure: rss === null ? '' : `${rss.toFixed(0)} MiB` });
  if (scaling) {
    out.push('', scaling.text);
    goals.push(...scaling.goals);
  }
  out.push('', 'goals:');
  out.push(...goals.map(goalLine));
  const kcatLarge = kbRuns[large.size] === undefined ? undefined : median(kbRuns[large.size].kcatProduce);
  if (kcatLarge !== undefined && diskSynced !== null) {
    const busy = kcatLarge.cpuSeconds / kcatLarge.seconds;
    out.push('', `context: kcat was busy ${percent(kcatLarge.cpuSeconds, kcatLarge.seconds)} of its median ${large.size} B produce run and the broker ${percent(kcatLarge.brokerCpuSeconds, kcatLarge.seconds)} (user + system CPU / wall time, each on its own core)${busy >= 0.9 ? ': kcat, not kb, set that ingest figure' : ''}.`);
    out.push(`  70% of the fdatasync disk figure is ${(0.7 * diskSynced).toFixed(0)} MB/s; kb ingested ${kbLargeMb === null ? '?' : kbLargeMb.toFixed(0)} MB/s from kcat.`);
    const replayLargeMb = find(replayCase(large.size));
    if (replayLargeMb !== null) out.push(`  Resending one pre-encoded batch (no client work per record), the broker took ${replayLargeMb.toFixed(0)} MB/s: ${ratio(replayLargeMb, diskSynced)}x the fdatasync figure.`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  void saveResults(resultsDir, { rows, goals, kb: kbRuns, cases, scaling: scaling?.json ?? null });
}

async function saveResults(dir: string, results: object): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `compare-${new Date().toISOString().replaceAll(':', '-').slice(0, 19)}.json`);
  await writeFile(file, `${JSON.stringify({ node: process.version, cpus: os.availableParallelism(), ...results }, null, 2)}\n`);
  process.stdout.write(`results: ${path.relative(process.cwd(), file)}\n`);
}
