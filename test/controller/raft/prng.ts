/**
 * A small seeded pseudo-random generator (xorshift32 over a scrambled
 * seed) for simulations: the same seed gives the same sequence on every
 * run, so a failing seed replays exactly.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) >>> 0 || 1;
    for (let i = 0; i < 8; i++) this.next();
  }

  /** Uniform in (0, 1). */
  next(): number {
    let s = this.state;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.state = s >>> 0;
    return this.state / 2 ** 32;
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** An independent generator derived from this one. */
  fork(): Prng {
    return new Prng(this.int(2 ** 31));
  }
}
