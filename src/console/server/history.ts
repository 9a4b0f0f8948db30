/**
 * The console's live series, kept in memory for the last hour: every
 * `pollMs` it reads each topic's log end offsets (messages in/s: the
 * growth of their sum since the previous poll) and each consumer group's
 * total lag, and, with --metrics URLs, each broker's
 * `kb_topic_bytes_in_total` (bytes in/s per topic, summed over the URLs).
 * A series holds at most `seriesPointsMax` points (an hour at 5 s); at
 * most `trackedMax` topics and as many groups (the first by name) are
 * followed, so a cluster with many cannot grow the console without bound.
 * A poll that fails (cluster down) adds no points and is logged once
 * until one succeeds; the next one tries again. Topics, groups and
 * metrics poll independently, so a slow one delays only its own. Series are named `messagesIn:TOPIC`, `bytesIn:TOPIC` and
 * `lag:GROUP`; points are [ms since the epoch, value].
 */
import { Admin } from '../../client/admin.ts';
import type { Cluster } from '../../client/cluster.ts';
import { GroupAdmin } from '../../client/groups.ts';
import type { Logger } from '../../logger.ts';

export const pollMs = 5000;
export const seriesPointsMax = 720;
export const trackedMax = 200;
/** A /metrics page larger than this is not read. */
const metricsBytesMax = 8 * 1024 * 1024;

export type Point = [number, number];

const bytesInSample = /^kb_topic_bytes_in_total\{topic="((?:[^"\\]|\\.)*)"\} ([0-9.e+]+)$/gm;

export class History {
  private readonly series = new Map<string, Point[]>();
  /** The previous poll's counters: series name -> [time, total]. */
  private readonly totals = new Map<string, Point>();
  private timer: NodeJS.Timeout | null = null;
  private readonly running = new Set<string>();
  private readonly failing = new Set<string>();

  private readonly cluster: Cluster;
  private readonly metricsUrls: readonly string[];
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(cluster: Cluster, metricsUrls: readonly string[], log: Logger, now: () => number = Date.now) {
    this.cluster = cluster;
    this.metricsUrls = metricsUrls;
    this.log = log;
    this.now = now;
  }

  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), pollMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The points of `name` (empty when unknown). */
  points(name: string): Point[] {
    return this.series.get(name) ?? [];
  }

  /** The last point of `name`, or null. */
  latest(name: string): number | null {
    const points = this.series.get(name);
    return points && points.length > 0 ? points[points.length - 1][1] : null;
  }

  /** One poll of each kind; a kind still busy with its previous poll (a slow broker) is skipped, the others go on. */
  async poll(): Promise<void> {
    await Promise.all([this.guarded('topics', () => this.pollTopics()), this.guarded('groups', () => this.pollGroups()), this.guarded('metrics', () => this.pollMetrics())]);
  }

  /** Runs one kind's poll unless it is running; its first failure after a success is logged (not one per poll while the cluster is down). */
  private async guarded(kind: string, work: () => Promise<void>): Promise<void> {
    if (this.running.has(kind)) return;
    this.running.add(kind);
    try {
      await work();
      this.failing.delete(kind);
    } catch (err) {
      if (!this.failing.has(kind)) this.log.warn(`console: polling ${kind} failed (retrying every ${pollMs / 1000} s): ${(err as Error).message}`);
      this.failing.add(kind);
    } finally {
      this.running.delete(kind);
    }
  }

  private add(name: string, value: number): void {
    let points = this.series.get(name);
    if (!points) {
      if (this.series.size >= 3 * trackedMax) return;
      this.series.set(name, (points = []));
    }
    points.push([this.now(), value]);
    if (points.length > seriesPointsMax) points.shift();
  }

  /** Adds the rate of a counter: its growth per second since the previous poll. */
  private addRate(name: string, total: number): void {
    const now = this.now();
    const previous = this.totals.get(name);
    this.totals.set(name, [now, total]);
    if (previous && now > previous[0]) this.add(name, Math.max(0, ((total - previous[1]) * 1000) / (now - previous[0])));
  }

  private async pollTopics(): Promise<void> {
    const admin = new Admin(this.cluster);
    const topics = (await admin.listTopics()).filter((t) => !t.internal).slice(0, trackedMax);
    await Promise.all(
      topics.map(async (topic) => {
        const offsets = await admin.partitionOffsets(topic);
        this.addRate(`messagesIn:${topic.name}`, offsets.reduce((sum, o) => sum + Number(o.logEndOffset ?? 0n), 0));
      }),
    );
  }

  private async pollGroups(): Promise<void> {
    const admin = new GroupAdmin(this.cluster);
    const groups = (await admin.listGroups()).map((g) => g.groupId).sort().slice(0, trackedMax);
    await Promise.all(
      groups.map(async (id) => {
        const [group, committed] = await Promise.all([admin.describeGroup(id), admin.committedOffsets(id)]);
        const lag = (await admin.lag(group, committed)).reduce((sum, p) => sum + Number(p.lag ?? 0n), 0);
        this.add(`lag:${id}`, lag);
      }),
    );
  }

  /** Bytes in/s per topic over every --metrics URL; none this time when one cannot be read (a partial sum would be a false dip). */
  private async pollMetrics(): Promise<void> {
    if (this.metricsUrls.length === 0) return;
    const byTopic = new Map<string, number>();
    try {
      for (const text of await Promise.all(this.metricsUrls.map(scrape))) {
        for (const [, topic, value] of text.matchAll(bytesInSample)) byTopic.set(topic, (byTopic.get(topic) ?? 0) + Number(value));
      }
    } catch (err) {
      this.log.warn(`console: cannot read --metrics: ${(err as Error).message}`);
      return;
    }
    for (const [topic, total] of [...byTopic].slice(0, trackedMax)) this.addRate(`bytesIn:${topic}`, total);
  }
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(pollMs) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  if (Number(response.headers.get('content-length') ?? 0) > metricsBytesMax) throw new Error(`${url}: over ${metricsBytesMax} bytes`);
  return response.text();
}
