/**
 * How long a run's producers waited for acknowledgements, from its history.
 *
 * An attempt is outstanding from its `send` to its first outcome (`ack` or
 * `fail`; never resolved: to the end of the run). A gap is a stretch of time
 * in which some attempt was outstanding and no acknowledgement arrived: it
 * starts when attempts become outstanding or at an acknowledgement, and
 * ends at the next acknowledgement or when nothing is outstanding any more
 * (every attempt failed). Time with nothing outstanding is never a gap.
 *
 * Unavailable time is the sum of the gaps of at least `gapMinMs` (shorter
 * ones are ordinary latency between acknowledgements). Both it and the
 * longest gap are given overall and for each nemesis window: from a
 * `nemesis-start` phase to the next `nemesis-stop`, `nemesis-start`, `heal`
 * or `end`, with gaps clipped to the window (a gap counts in a window when
 * the whole gap is at least `gapMinMs` long).
 */
import type { Event, Phase } from './history.ts';

/** Gaps shorter than this are latency, not unavailability. */
export const gapMinMs = 1000;

export interface Unavailable {
  /** Total length of the gaps of at least `gapMinMs`, in seconds. */
  seconds: number;
  longestGapMs: number;
}

export interface NemesisWindow extends Unavailable {
  /** The `nemesis-start` phase's detail ('' when it has none). */
  detail: string;
  startMs: number;
  stopMs: number;
}

export interface Availability extends Unavailable {
  windows: NemesisWindow[];
}

type Gap = [start: number, end: number];

/** When attempts started and resolved, and acknowledgements arrived: each sorted ascending. */
interface Timeline { starts: Float64Array; ends: Float64Array; acks: Float64Array; endMs: number }

function timeline(events: readonly Event[]): Timeline {
  const sentAt = new Map<string, number>();
  const resolvedAt = new Map<string, number>();
  const acks: number[] = [];
  let endMs = 0;
  for (const e of events) {
    if (e.type === 'read' || e.type === 'copied' || e.type === 'replica') continue;
    endMs = Math.max(endMs, e.t);
    if (e.type === 'send' && !sentAt.has(e.value)) sentAt.set(e.value, e.t);
    if (e.type === 'ack' || e.type === 'fail') {
      if (!resolvedAt.has(e.value)) resolvedAt.set(e.value, e.t);
      if (e.type === 'ack') acks.push(e.t);
    }
  }
  const starts = new Float64Array(sentAt.size);
  const ends: number[] = [];
  let i = 0;
  for (const [value, sent] of sentAt) {
    starts[i++] = sent;
    const resolved = resolvedAt.get(value);
    // An outcome logged before its send (two processes' clocks) resolves the attempt when it starts.
    if (resolved !== undefined) ends.push(Math.max(sent, resolved));
  }
  return { starts: starts.sort(), ends: Float64Array.from(ends).sort(), acks: Float64Array.from(acks).sort(), endMs };
}

function gapsOf({ starts, ends, acks, endMs }: Timeline): Gap[] {
  const gaps: Gap[] = [];
  const close = (start: number, end: number): void => {
    if (end > start) gaps.push([start, end]);
  };
  let outstanding = 0;
  let gapStart: number | undefined;
  let [s, e, a] = [0, 0, 0];
  while (s < starts.length || e < ends.length || a < acks.length) {
    const t = Math.min(starts[s] ?? Infinity, ends[e] ?? Infinity, acks[a] ?? Infinity);
    for (; starts[s] === t; s++) outstanding++;
    for (; ends[e] === t; e++) outstanding--;
    let acked = false;
    for (; acks[a] === t; a++) acked = true;
    if (acked && gapStart !== undefined) {
      close(gapStart, t);
      gapStart = undefined;
    }
    if (outstanding === 0 && gapStart !== undefined) {
      close(gapStart, t);
      gapStart = undefined;
    }
    if (outstanding > 0 && gapStart === undefined) gapStart = t;
  }
  if (gapStart !== undefined) close(gapStart, endMs);
  return gaps;
}

function within(gaps: readonly Gap[], from: number, to: number): Unavailable {
  let ms = 0;
  let longestGapMs = 0;
  for (const [start, end] of gaps) {
    const clipped = Math.min(end, to) - Math.max(start, from);
    if (clipped <= 0) continue;
    longestGapMs = Math.max(longestGapMs, clipped);
    if (end - start >= gapMinMs) ms += clipped;
  }
  return { seconds: ms / 1000, longestGapMs };
}

function windowsOf(events: readonly Event[], endMs: number): Omit<NemesisWindow, keyof Unavailable>[] {
  const phases = events.filter((e): e is Phase => e.type === 'phase').sort((a, b) => a.t - b.t);
  const windows: Omit<NemesisWindow, keyof Unavailable>[] = [];
  let open: Phase | undefined;
  for (const phase of phases) {
    if (open !== undefined) windows.push({ detail: open.detail ?? '', startMs: open.t, stopMs: phase.t });
    open = phase.name === 'nemesis-start' ? phase : undefined;
  }
  if (open !== undefined) windows.push({ detail: open.detail ?? '', startMs: open.t, stopMs: endMs });
  return windows;
}

export function availability(events: readonly Event[]): Availability {
  const line = timeline(events);
  const gaps = gapsOf(line);
  return {
    ...within(gaps, 0, line.endMs),
    windows: windowsOf(events, line.endMs).map((w) => ({ ...w, ...within(gaps, w.startMs, w.stopMs) })),
  };
}
