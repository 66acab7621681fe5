/**
 * Percentile bootstrap confidence intervals, seeded so that the same data and
 * seed always give the same interval.
 */
import { Prng } from "../synthetic/index.js";
import { auroc } from "./metrics.js";

export interface BootstrapOptions {
  /** Resamples (default 1000). */
  readonly samples?: number;
  /** Seed of the resampling generator (default 1). */
  readonly seed?: number;
  /** Two-sided level (default 0.95). */
  readonly level?: number;
}

/** numpy.quantile with linear interpolation on sorted values. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * 95% (or `level`) CI of the AUROC: resample cases with replacement, skip
 * resamples that lack a class, take the percentiles of the resampled AUROCs.
 * [NaN, NaN] when the data lack a class.
 */
export function bootstrapAurocCi(
  scores: ArrayLike<number>,
  truth: ArrayLike<boolean>,
  options: BootstrapOptions = {},
): [number, number] {
  const samples = options.samples ?? 1000;
  const level = options.level ?? 0.95;
  const n = scores.length;
  if (!(level > 0 && level < 1)) throw new RangeError("level must be in (0, 1)");
  if (!Number.isFinite(auroc(scores, truth))) return [Number.NaN, Number.NaN];
  const rng = new Prng(options.seed ?? 1, n, 0xa0c);
  const values: number[] = [];
  const s = new Float64Array(n);
  const t = new Array<boolean>(n);
  for (let b = 0; b < samples; b++) {
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rng.next() * n);
      s[i] = scores[k]!;
      t[i] = truth[k]!;
      if (t[i]) pos++;
    }
    if (pos === 0 || pos === n) continue;
    values.push(auroc(s, t));
  }
  values.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return [quantileSorted(values, alpha), quantileSorted(values, 1 - alpha)];
}
