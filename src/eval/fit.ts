/**
 * Fitting calibration and operating thresholds from labelled scores:
 * isotonic regression by pool-adjacent-violators (scikit-learn's
 * IsotonicRegression with out_of_bounds="clip", y in [0, 1]), and the choice of
 * a threshold that reaches a target sensitivity or specificity. Platt scaling
 * lives with the runtime calibration in model/calibration.ts (fitPlatt).
 */

export interface IsotonicTable {
  /** Strictly increasing inputs. */
  readonly x: number[];
  /** Non-decreasing outputs in [0, 1]; prediction interpolates linearly and clamps at the ends. */
  readonly y: number[];
}

/**
 * Isotonic (non-decreasing) least-squares fit of truth on x. Ties in x are
 * pooled first (weighted mean); the result keeps only the points where the
 * fitted step function changes, as scikit-learn's X_thresholds_/y_thresholds_.
 */
export function fitIsotonic(xs: readonly number[], truth: readonly boolean[]): IsotonicTable {
  if (xs.length !== truth.length) throw new RangeError("x and truth differ in length");
  if (xs.length === 0) throw new RangeError("isotonic fit needs data");
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  // Unique x with pooled mean y and weights.
  const ux: number[] = [];
  const uy: number[] = [];
  const uw: number[] = [];
  for (const i of order) {
    const x = xs[i]!;
    if (!Number.isFinite(x)) throw new RangeError(`x ${i} is not finite`);
    const y = truth[i] ? 1 : 0;
    const last = ux.length - 1;
    if (last >= 0 && ux[last] === x) {
      uy[last] = (uy[last]! * uw[last]! + y) / (uw[last]! + 1);
      uw[last]!++;
    } else {
      ux.push(x);
      uy.push(y);
      uw.push(1);
    }
  }
  // Pool adjacent violators over blocks.
  const bv: number[] = [];
  const bw: number[] = [];
  const bn: number[] = [];
  for (let i = 0; i < ux.length; i++) {
    bv.push(uy[i]!);
    bw.push(uw[i]!);
    bn.push(1);
    while (bv.length > 1 && bv[bv.length - 2]! > bv[bv.length - 1]!) {
      const v = bv.pop()!;
      const w = bw.pop()!;
      const c = bn.pop()!;
      const j = bv.length - 1;
      bv[j] = (bv[j]! * bw[j]! + v * w) / (bw[j]! + w);
      bw[j]! += w;
      bn[j]! += c;
    }
  }
  const fitted: number[] = [];
  bv.forEach((v, j) => {
    for (let k = 0; k < bn[j]!; k++) fitted.push(Math.min(1, Math.max(0, v)));
  });
  // Keep the first and last point and every point where the value changes on either side.
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < ux.length; i++) {
    const keep =
      i === 0 || i === ux.length - 1 || fitted[i] !== fitted[i - 1] || fitted[i] !== fitted[i + 1];
    if (keep) {
      x.push(ux[i]!);
      y.push(fitted[i]!);
    }
  }
  if (x.length === 1) {
    // One distinct input: a flat table over [0, 1] (tables need two points).
    return { x: [0, 1], y: [y[0]!, y[0]!] };
  }
  return { x, y };
}

/** Linear interpolation in an isotonic table, clamped to its ends (scikit-learn's predict). */
export function predictIsotonic(table: IsotonicTable, q: number): number {
  const { x, y } = table;
  const n = x.length;
  if (q <= x[0]!) return y[0]!;
  if (q >= x[n - 1]!) return y[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid]! <= q) lo = mid;
    else hi = mid;
  }
  const t = (q - x[lo]!) / (x[hi]! - x[lo]!);
  return y[lo]! + t * (y[hi]! - y[lo]!);
}

export type ThresholdTarget =
  | { readonly metric: "sensitivity"; readonly value: number }
  | { readonly metric: "specificity"; readonly value: number }
  /** Maximise sensitivity + specificity - 1. */
  | { readonly metric: "youden" };

export interface ChosenThreshold {
  readonly threshold: number;
  readonly sensitivity: number;
  readonly specificity: number;
}

/**
 * The operating threshold (cases with score >= threshold are positive) that
 * meets a target on labelled scores:
 *  - sensitivity v: among thresholds with sensitivity >= v, the one with the
 *    best specificity (then the best sensitivity);
 *  - specificity v: among thresholds with specificity >= v, the one with the
 *    best sensitivity (then the best specificity);
 *  - youden: the threshold with the largest sensitivity + specificity (the highest of ties).
 * Thresholds fall halfway between adjacent distinct scores (so small score
 * changes do not flip the cases they separate), clamped to [0, 1].
 */
export function chooseThreshold(
  scores: readonly number[],
  truth: readonly boolean[],
  target: ThresholdTarget,
): ChosenThreshold {
  if (scores.length !== truth.length) throw new RangeError("scores and truth differ in length");
  const pos = truth.filter(Boolean).length;
  const neg = truth.length - pos;
  if (pos === 0 || neg === 0)
    throw new RangeError("choosing a threshold needs both positive and negative cases");
  if (target.metric !== "youden" && !(target.value > 0 && target.value <= 1))
    throw new RangeError(`target ${target.metric} must be in (0, 1]`);
  const distinct = [...new Set(scores)].sort((a, b) => b - a);
  // Candidate k calls positive every case with score >= distinct[k].
  let tp = 0;
  let fp = 0;
  const byScore = new Map<number, { p: number; n: number }>();
  scores.forEach((s, i) => {
    const e = byScore.get(s) ?? { p: 0, n: 0 };
    if (truth[i]) e.p++;
    else e.n++;
    byScore.set(s, e);
  });
  const candidates: { k: number; sens: number; spec: number }[] = [];
  distinct.forEach((s, k) => {
    const e = byScore.get(s)!;
    tp += e.p;
    fp += e.n;
    candidates.push({ k, sens: tp / pos, spec: (neg - fp) / neg });
  });
  // k = -1 calls nothing positive.
  candidates.unshift({ k: -1, sens: 0, spec: 1 });
  const better = (
    a: { sens: number; spec: number },
    b: { sens: number; spec: number },
    first: "sens" | "spec",
  ): boolean => {
    const second = first === "sens" ? "spec" : "sens";
    return a[first] > b[first] || (a[first] === b[first] && a[second] > b[second]);
  };
  let chosen: { k: number; sens: number; spec: number } | undefined;
  for (const c of candidates) {
    switch (target.metric) {
      case "sensitivity":
        // Meet the sensitivity; among those, the best specificity, then the best sensitivity.
        if (c.sens >= target.value - 1e-12 && (!chosen || better(c, chosen, "spec"))) chosen = c;
        break;
      case "specificity":
        if (c.spec >= target.value - 1e-12 && (!chosen || better(c, chosen, "sens"))) chosen = c;
        break;
      case "youden":
        if (!chosen || c.sens + c.spec > chosen.sens + chosen.spec) chosen = c;
        break;
    }
  }
  const c = chosen!;
  const above = c.k >= 0 ? distinct[c.k]! : undefined;
  const below = distinct[c.k + 1];
  let threshold: number;
  if (above === undefined) threshold = (distinct[0]! + 1) / 2;
  else if (below === undefined) threshold = above / 2;
  else threshold = (above + below) / 2;
  // Rounding must not move the midpoint onto a neighbour.
  if (above !== undefined && (threshold > above || (below !== undefined && threshold <= below)))
    threshold = above;
  threshold = Math.min(1, Math.max(0, threshold));
  return { threshold, sensitivity: c.sens, specificity: c.spec };
}
