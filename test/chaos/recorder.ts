/**
 * Records a run's history (history.ts): stamps timed events with `t`, ms
 * since the recorder was made on the monotonic clock, keeps every event in
 * memory for the checker and appends each as one JSON line to `file`, so a
 * run that dies midway still leaves what it saw. `close()` flushes the file.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { untimed, type Event } from './history.ts';

type Untimed<E> = E extends { t: number } ? Omit<E, 't'> : E;
const isUntimed = (type: Event['type']): boolean => (untimed as readonly string[]).includes(type);

export class Recorder {
  readonly events: Event[] = [];
  private readonly start = performance.now();
  private readonly out;

  constructor(file: string) {
    this.out = createWriteStream(file);
  }

  /** ms since the run started. */
  now(): number {
    return Math.round((performance.now() - this.start) * 10) / 10;
  }

  /** Records `event`, stamped `t` (default now) when it is a timed event. */
  record(event: Untimed<Event>, t = this.now()): void {
    const stamped = (isUntimed(event.type) ? event : { t, ...event }) as Event;
    this.events.push(stamped);
    this.out.write(`${JSON.stringify(stamped)}\n`);
  }

  async close(): Promise<void> {
    this.out.end();
    await once(this.out, 'close');
  }
}
