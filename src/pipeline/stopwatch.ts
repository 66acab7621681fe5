/** Per-stage wall-clock timings for one job (milliseconds, summed per stage). */
export class Stopwatch {
  private readonly totals: Record<string, number> = {};

  add(stage: string, ms: number): void {
    this.totals[stage] = (this.totals[stage] ?? 0) + ms;
  }

  time<T>(stage: string, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.add(stage, performance.now() - t0);
    }
  }

  async timeAsync<T>(stage: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(stage, performance.now() - t0);
    }
  }

  /** Rounded to 0.1 ms. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.totals).map(([k, v]) => [k, Math.round(v * 10) / 10]),
    );
  }
}
