/**
 * Time, the one way in: every module that reads the time or schedules
 * something takes a `Time` by injection (the broker passes `systemTime`
 * down; tests and a simulation pass a fake they advance by hand), so
 * replication, groups, the controller and storage can be driven like the
 * Raft simulation.
 *
 * Two clocks, kept apart on purpose: the wall clock stamps what is stored
 * or shown (record timestamps, commit and state-change times, retention by
 * timestamp) and may step (NTP); the monotonic clock never steps and
 * measures every duration, deadline and lag. Timers run on the monotonic
 * clock. A `background` timer does not keep the process alive (Node's
 * unref); the others do, as Node's own.
 */

export interface Clock {
  /** Milliseconds since the Unix epoch, for what is stored or shown; may step. */
  wallMs(): number;
  /** Milliseconds on a clock that never steps, for durations and deadlines. */
  monotonicMs(): number;
}

/** A scheduled timer, opaque: only `Timers.clear` takes it. */
export type TimerHandle = unknown;

export interface TimerOptions {
  /** The timer does not keep the process alive. */
  background?: boolean;
}

export interface Timers {
  /** Calls `callback` once, `delayMs` from now (a negative delay counts as 0). */
  setTimeout(callback: () => void, delayMs: number, options?: TimerOptions): TimerHandle;
  /** Calls `callback` every `intervalMs` until cleared. */
  setInterval(callback: () => void, intervalMs: number, options?: TimerOptions): TimerHandle;
  /** Cancels a timer; a fired, cleared or null one is ignored. */
  clear(handle: TimerHandle | null): void;
}

export interface Time extends Clock, Timers {}

function started(timer: NodeJS.Timeout, options: TimerOptions | undefined): NodeJS.Timeout {
  return options?.background ? timer.unref() : timer;
}

/** The process's clocks (Date.now, performance.now) and Node's timers. */
export const systemTime: Time = {
  wallMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  setTimeout: (callback, delayMs, options) => started(setTimeout(callback, Math.max(0, delayMs)), options),
  setInterval: (callback, intervalMs, options) => started(setInterval(callback, intervalMs), options),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

/** A wall-clock time (`Clock.wallMs`) as shown in logs: ISO 8601, UTC. Formats the time it is given; reads no clock. */
export function isoTime(wallMs: number): string {
  return new Date(wallMs).toISOString();
}
