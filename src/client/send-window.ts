/**
 * Bounds the records a sender has handed to a Producer and not yet seen
 * settled (acknowledged or failed), so a large input does not pile up in
 * memory: `sent()` per record handed over, `settled()` from its callback.
 * `roomMade()` resolves once at most half of `limit` is outstanding (the
 * sender waits there while `full`), `drained()` once nothing is. One
 * waiter at a time: the sender.
 */
export class SendWindow {
  private readonly limit: number;
  private outstanding = 0;
  private waiter: { atMost: number; wake: () => void } | null = null;

  constructor(limit: number) {
    this.limit = limit;
  }

  get full(): boolean {
    return this.outstanding >= this.limit;
  }

  sent(): void {
    this.outstanding++;
  }

  settled(): void {
    this.outstanding--;
    if (this.waiter && this.outstanding <= this.waiter.atMost) {
      const { wake } = this.waiter;
      this.waiter = null;
      wake();
    }
  }

  roomMade(): Promise<void> {
    return this.untilAtMost(Math.floor(this.limit / 2));
  }

  drained(): Promise<void> {
    return this.untilAtMost(0);
  }

  private untilAtMost(atMost: number): Promise<void> {
    if (this.outstanding <= atMost) return Promise.resolve();
    return new Promise((wake) => (this.waiter = { atMost, wake }));
  }
}
