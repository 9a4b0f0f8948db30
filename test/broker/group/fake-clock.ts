/**
 * A clock for tests: time stands still until `advance(ms)`, which fires the
 * due timers in due-time order (ties in scheduling order), including timers
 * those callbacks schedule within the advanced span. `stepWallClock(ms)`
 * moves only the wall clock (`now`), as an NTP step does.
 */
import type { GroupClock } from '../../../src/broker/group/group.ts';

interface FakeTimer {
  dueMs: number;
  callback: () => void;
}

export class FakeClock implements GroupClock {
  private nowMs = 0;
  private wallOffsetMs = 0;
  private nextId = 1;
  private readonly timers = new Map<number, FakeTimer>();

  now(): number {
    return this.nowMs + this.wallOffsetMs;
  }

  monotonicMs(): number {
    return this.nowMs;
  }

  stepWallClock(ms: number): void {
    this.wallOffsetMs += ms;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { dueMs: this.nowMs + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
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
      this.timers.delete(next[0]);
      this.nowMs = next[1].dueMs;
      next[1].callback();
    }
    this.nowMs = targetMs;
  }
}
