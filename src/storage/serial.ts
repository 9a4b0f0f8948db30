/**
 * Runs async critical sections one at a time, in call order (a promise
 * chain). A failing section does not block the ones after it.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
