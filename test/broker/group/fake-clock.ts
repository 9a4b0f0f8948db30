/**
 * A clock for tests: time stands still until `advance(ms)`, which fires the
 * due timers in due-time order (ties in scheduling order), including timers
 * those callbacks schedule within the advanced span; an interval is
 * scheduled again after each run. `stepWallClock(ms)` moves only the wall
 * clock, as an NTP step does.
 */
import type { Time, TimerHandle } from '../../../src/clock.ts';

interface FakeTimer {
  dueMs: number;
  callback: () => void;
  /** Set for an interval. */
  everyMs: number | null;
}

export class FakeClock implements Time {
  private nowMs = 0;
  private wallOffsetMs = 0;
  private nextId = 1;
  private readonly timers = new Map<number, FakeTimer>();

  wallMs(): number {
    return this.nowMs + this.wallOffsetMs;
  }

  monotonicMs(): number {
    return this.nowMs;
  }

  stepWallClock(ms: number): void {
    this.wallOffsetMs += ms;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.schedule(callback, delayMs, null);
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    return this.schedule(callback, intervalMs, Math.max(1, intervalMs));
  }

  clear(handle: TimerHandle | null): void {
    this.timers.delete(handle as number);
  }

  private schedule(callback: () => void, delayMs: number, everyMs: number | null): number {
    const id = this.nextId++;
    this.timers.set(id, { dueMs: this.nowMs + Math.max(0, delayMs), callback, everyMs });
    return id;
  }

  /** Timers scheduled and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const targetMs = this.nowMs + ms;
    for (;;) {
      let next: [number, FakeTimer] | undefined;
      for (const entry of this.timers) {
        if (entry[1].dueMs <= targetMs && (next === undefined || entry[1].dueMs < next[1].dueMs)) next = entry;
      }
      if (next === undefined) break;
      const [id, timer] = next;
      this.timers.delete(id);
      this.nowMs = timer.dueMs;
      if (timer.everyMs !== null) this.timers.set(id, { ...timer, dueMs: timer.dueMs + timer.everyMs });
      timer.callback();
    }
    this.nowMs = targetMs;
  }
}
