/**
 * The fault suite's nemeses. Each runs in rounds until the run's fault time
 * is over: choose a target, record `nemesis-start` (with what it does), do
 * the fault, hold it, undo it, record `nemesis-stop`, rest. Every choice
 * (which partition, node, clock step, hold time) comes from a seeded PRNG,
 * so a seed replays the same schedule; targets that depend on the cluster
 * (a partition's leader, the controller, the workload's group or
 * transaction coordinator) are looked up from outside
 * (inspect.ts) at the time. A round whose target cannot be found is
 * recorded as skipped. `healAll` undoes whatever a failed round left.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterNodes } from './nodes.ts';
import type { Topology } from './topology.ts';
import type { Recorder } from './recorder.ts';
import { activeController, leaderOf, waitSettled } from './inspect.ts';

export interface NemesisContext {
  nodes: ClusterNodes;
  topology: Topology;
  recorder: Recorder;
  rng: Rng;
  topic: string;
  partitions: number;
  /** The coordinator the workload depends on (its group's, or its transactional id's) for kill-coordinator. */
  coordinator: { what: string; find: () => Promise<number | null> };
  /** broker.session.timeout.ms of the nodes. */
  sessionTimeoutMs: number;
}

/** mulberry32: a small seeded PRNG, enough to replay a schedule. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let x = this.state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
}

const restMs = 4000;
const settleMs = 60_000;

/** One round: record the start, fault, hold, undo, record the stop. */
async function round(ctx: NemesisContext, detail: string, fault: () => unknown, undo: () => unknown, holdMs: number) {
  ctx.recorder.record({ type: 'phase', name: 'nemesis-start', detail });
  await fault();
  await sleep(holdMs);
  await undo();
  ctx.recorder.record({ type: 'phase', name: 'nemesis-stop', detail });
}

function skipped(ctx: NemesisContext, why: string) {
  ctx.recorder.record({ type: 'phase', name: 'nemesis-start', detail: `skipped: ${why}` });
  ctx.recorder.record({ type: 'phase', name: 'nemesis-stop', detail: `skipped: ${why}` });
}

async function randomLeader(ctx: NemesisContext): Promise<{ partition: number; leader: number | null }> {
  const partition = ctx.rng.int(0, ctx.partitions - 1);
  return { partition, leader: await leaderOf(ctx.nodes.bootstrap, ctx.topic, partition) };
}

/** kill -9 of `target` (looked up now), held, then started again. */
function killAndRestart(what: string, find: (ctx: NemesisContext) => Promise<number | null>) {
  return async (ctx: NemesisContext) => {
    const hold = ctx.rng.int(3000, 8000);
    const node = await find(ctx);
    if (node === null) return skipped(ctx, `no ${what} found`);
    await round(ctx, `kill -9 ${what} node ${node}`, () => ctx.nodes.kill(node), () => ctx.nodes.start(node), hold);
  };
}

/** SIGSTOP of `node` (`who` in the detail) for `hold` ms, then SIGCONT. */
function pauseRound(ctx: NemesisContext, node: number, who: string, hold: number) {
  return round(ctx, `SIGSTOP ${who} for ${hold} ms`, () => ctx.nodes.pause(node), () => ctx.nodes.resume(node), hold);
}

/** `node` (`who` in the detail) cut off from every other node for `hold` ms, then healed; clients still reach it. */
function isolateRound(ctx: NemesisContext, node: number, who: string, hold: number) {
  const others = ctx.nodes.ids.filter((id) => id !== node);
  return round(ctx, `isolate ${who} from ${others.join(',')}`, () => ctx.topology.cut([node], others), () => ctx.topology.heal(), hold);
}

export const nemeses = {
  none: async (ctx: NemesisContext) => {
    await sleep(ctx.rng.int(5000, 10_000));
  },
  'kill-leader': killAndRestart('partition leader', async (ctx) => (await randomLeader(ctx)).leader),
  'kill-controller': killAndRestart('active controller', (ctx) => activeController(ctx.nodes.bootstrap)),
  'kill-coordinator': (ctx: NemesisContext) => killAndRestart(ctx.coordinator.what, ctx.coordinator.find)(ctx),
  'pause-leader': async (ctx: NemesisContext) => {
    const hold = ctx.sessionTimeoutMs + ctx.rng.int(1000, 5000);
    const { partition, leader } = await randomLeader(ctx);
    if (leader === null) return skipped(ctx, `no leader of partition ${partition}`);
    await pauseRound(ctx, leader, `leader ${leader} of partition ${partition}`, hold);
  },
  'pause-coordinator': async (ctx: NemesisContext) => {
    const hold = ctx.sessionTimeoutMs + ctx.rng.int(1000, 5000);
    const node = await ctx.coordinator.find();
    if (node === null) return skipped(ctx, `no ${ctx.coordinator.what} found`);
    await pauseRound(ctx, node, `${ctx.coordinator.what} ${node}`, hold);
  },
  'partition-leader': async (ctx: NemesisContext) => {
    const hold = ctx.rng.int(6000, 12_000);
    const { partition, leader } = await randomLeader(ctx);
    if (leader === null) return skipped(ctx, `no leader of partition ${partition}`);
    await isolateRound(ctx, leader, `leader ${leader} of partition ${partition}`, hold);
  },
  'partition-coordinator': async (ctx: NemesisContext) => {
    const hold = ctx.rng.int(6000, 12_000);
    const node = await ctx.coordinator.find();
    if (node === null) return skipped(ctx, `no ${ctx.coordinator.what} found`);
    await isolateRound(ctx, node, `${ctx.coordinator.what} ${node}`, hold);
  },
  bridge: async (ctx: NemesisContext) => {
    const hold = ctx.rng.int(6000, 12_000);
    const bridge = ctx.rng.pick(ctx.nodes.ids);
    const [a, b] = ctx.nodes.ids.filter((id) => id !== bridge);
    await round(ctx, `cut ${a} from ${b}, ${bridge} sees both`, () => ctx.topology.cut([a], [b]), () => ctx.topology.heal(), hold);
  },
  'rolling-restart': async (ctx: NemesisContext) => {
    const first = ctx.rng.int(0, ctx.nodes.ids.length - 1);
    const order = [...ctx.nodes.ids.slice(first), ...ctx.nodes.ids.slice(0, first)];
    for (const node of order) {
      await round(ctx, `SIGTERM node ${node} and start it again`, () => ctx.nodes.terminate(node), () => ctx.nodes.start(node), 500);
      await waitSettled(ctx.nodes.bootstrap, ctx.topic, ctx.nodes.ids.length, settleMs);
    }
  },
  'kill-all': async (ctx: NemesisContext) => {
    const hold = ctx.rng.int(1000, 4000);
    const { ids } = ctx.nodes;
    const killAll = () => Promise.all(ids.map((id) => ctx.nodes.kill(id)));
    const startAll = () => Promise.all(ids.map((id) => ctx.nodes.start(id)));
    await round(ctx, 'kill -9 every node', killAll, startAll, hold);
  },
  'clock-step': async (ctx: NemesisContext) => {
    const hold = ctx.rng.int(5000, 10_000);
    const node = ctx.rng.pick(ctx.nodes.ids);
    const step = ctx.rng.pick(['+120s', '-30s', '+3600s', '-5s', '+10s']);
    await round(ctx, `step node ${node}'s wall clock ${step} (then back)`, () => ctx.nodes.setClock(node, step), () => ctx.nodes.setClock(node, '+0'), hold);
  },
} satisfies Record<string, (ctx: NemesisContext) => Promise<void>>;

export type NemesisName = keyof typeof nemeses;
export const nemesisNames = Object.keys(nemeses) as NemesisName[];
/**
 * Nemeses `npm test` leaves to `npm run chaos` (the suite's time budget): they repeat pause-leader's
 * and partition-leader's faults on the workload's coordinator.
 */
export const chaosRunOnly: readonly NemesisName[] = ['pause-coordinator', 'partition-coordinator'];

/** Runs rounds of `name` until `durationMs` is over (a round started in time finishes), resting between rounds. */
export async function runNemesis(name: NemesisName, ctx: NemesisContext, durationMs: number): Promise<void> {
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    await nemeses[name](ctx);
    if (performance.now() < end) await sleep(Math.min(restMs, end - performance.now()));
  }
}

/** Undoes every fault: links healed, processes continued, clocks reset, stopped nodes started. */
export async function healAll(ctx: Pick<NemesisContext, 'nodes' | 'topology'>, faketime: boolean): Promise<void> {
  ctx.topology.heal();
  for (const id of ctx.nodes.ids) {
    if (faketime) ctx.nodes.setClock(id, '+0');
    if (ctx.nodes.isRunning(id)) ctx.nodes.resume(id);
  }
  await Promise.all(ctx.nodes.ids.filter((id) => !ctx.nodes.isRunning(id)).map((id) => ctx.nodes.start(id)));
}
