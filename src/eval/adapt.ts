/**
 * Fitting a site adaptation (src/model/adaptation.ts) from confirmed studies:
 * training-free, closed form, no gradient steps.
 *
 * Per label, from the unit image embeddings x of the studies whose finding is
 * confirmed present (P) and absent (N):
 *   mu+ , mu-       class means
 *   S               pooled within-class covariance, shrunk towards a scaled
 *                   identity: (1 - lambda) S + lambda (tr S / D) I
 *   w = S^-1 (mu+ - mu-),  c = -w·(mu+ + mu-)/2
 * the linear discriminant of a Gaussian model with shared covariance (the
 * training-free GDA baseline of Wang et al., "A Hard-to-Beat Baseline for
 * Training-free CLIP-based Adaptation", ICLR 2024). The adapted raw logit is
 * z' = z + alpha (w·x + c): zero-shot knowledge plus what the site's own
 * studies show. One alpha for all labels is chosen from a grid by the mean
 * leave-one-out AUROC over the labels (ties: the smaller alpha, so 0 — the
 * zero-shot scores — wins when the few-shot term does not help). Then Platt
 * calibration is fitted on the leave-one-out adapted logits — unless the
 * label's current calibration already has the lower log-loss on them, which
 * is then kept — and the threshold chosen for the label's target.
 */
import { applyCalibration, fitPlatt, type Calibration } from "../model/index.js";
import { chooseThreshold, type ThresholdTarget } from "./fit.js";
import { auroc } from "./metrics.js";

/** One confirmed study: its unit image embedding, zero-shot raw logits and confirmed verdicts. */
export interface AdaptationExample {
  readonly embedding: ArrayLike<number>;
  readonly logits: ReadonlyMap<string, number>;
  readonly truth: ReadonlyMap<string, boolean>;
}

export interface FitAdaptationOptions {
  /** Per label: its threshold target and its calibration in the model as it is (kept when it fits better). */
  readonly labels: readonly {
    readonly id: string;
    readonly target: ThresholdTarget;
    readonly calibration: Calibration;
  }[];
  readonly shrinkage: number;
  readonly alphaGrid: readonly number[];
}

export interface FittedLabelAdapter {
  readonly alpha: number;
  /** alpha * w */
  readonly weights: number[];
  /** alpha * c */
  readonly bias: number;
  readonly calibration: Calibration;
  readonly threshold: number;
  readonly target: ThresholdTarget;
  readonly fit: { n: number; positives: number; looAuroc: [number, number] };
}

export interface FittedAdaptation {
  readonly alpha: number;
  /** Mean leave-one-out AUROC over the labels, per alpha of the grid. */
  readonly looMacroAuroc: readonly number[];
  readonly labels: ReadonlyMap<string, FittedLabelAdapter>;
  /** Labels left out, with why. */
  readonly skipped: ReadonlyMap<string, string>;
}

/** Solves A x = b for a symmetric positive definite A (Cholesky). */
export function solveSpd(a: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      if (i === j) {
        if (!(s > 0)) throw new RangeError("matrix is not positive definite");
        l[i]![i] = Math.sqrt(s);
      } else l[i]![j] = s / l[j]![j]!;
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * y[k]!;
    y[i] = s / l[i]![i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * x[k]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}

/** The shrinkage linear discriminant (w, c) of present (true) vs absent (false) embeddings. */
export function linearDiscriminant(
  xs: readonly ArrayLike<number>[],
  ys: readonly boolean[],
  shrinkage: number,
): { w: number[]; c: number } {
  const d = xs[0]?.length ?? 0;
  const mean = (cls: boolean): number[] => {
    const m = new Array<number>(d).fill(0);
    let n = 0;
    xs.forEach((x, i) => {
      if (ys[i] !== cls) return;
      n++;
      for (let j = 0; j < d; j++) m[j]! += x[j]!;
    });
    if (n === 0) throw new RangeError("linearDiscriminant needs present and absent examples");
    return m.map((v) => v / n);
  };
  const mp = mean(true);
  const mn = mean(false);
  const s = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const dof = Math.max(1, xs.length - 2);
  xs.forEach((x, i) => {
    const mu = ys[i] ? mp : mn;
    for (let a = 0; a < d; a++) {
      const da = x[a]! - mu[a]!;
      if (da === 0) continue;
      for (let b = 0; b < d; b++) s[a]![b]! += (da * (x[b]! - mu[b]!)) / dof;
    }
  });
  let trace = 0;
  for (let a = 0; a < d; a++) trace += s[a]![a]!;
  // A floor keeps the system solvable when every example is identical.
  const ridge = Math.max((shrinkage * trace) / d, 1e-12);
  const reg = s.map((row, a) => row.map((v, b) => (1 - shrinkage) * v + (a === b ? ridge : 0)));
  const w = solveSpd(
    reg,
    mp.map((v, j) => v - mn[j]!),
  );
  let c = 0;
  for (let j = 0; j < d; j++) c -= (w[j]! * (mp[j]! + mn[j]!)) / 2;
  return { w, c };
}

/** Mean negative log-likelihood of the truth under a calibration of the logits. */
function logLoss(z: readonly number[], ys: readonly boolean[], c: Calibration): number {
  let s = 0;
  z.forEach((v, i) => {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, applyCalibration(c, v)));
    s -= Math.log(ys[i] ? p : 1 - p);
  });
  return s / z.length;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

export function fitAdaptation(
  examples: readonly AdaptationExample[],
  o: FitAdaptationOptions,
): FittedAdaptation {
  const skipped = new Map<string, string>();
  interface Prepared {
    id: string;
    target: ThresholdTarget;
    calibration: Calibration;
    xs: ArrayLike<number>[];
    ys: boolean[];
    z: number[];
    loo: number[];
  }
  const prepared: Prepared[] = [];
  for (const { id, target, calibration } of o.labels) {
    const rows = examples.filter((e) => e.truth.has(id) && e.logits.has(id));
    const ys = rows.map((e) => e.truth.get(id)!);
    const positives = ys.filter(Boolean).length;
    if (positives < 2 || rows.length - positives < 2) {
      skipped.set(
        id,
        `needs at least 2 confirmed present and 2 absent studies (n ${rows.length}, present ${positives})`,
      );
      continue;
    }
    const xs = rows.map((e) => e.embedding);
    // Leave-one-out few-shot terms: each study scored by a discriminant fitted without it.
    const loo = xs.map((x, i) => {
      const { w, c } = linearDiscriminant(
        xs.filter((_, j) => j !== i),
        ys.filter((_, j) => j !== i),
        o.shrinkage,
      );
      return dot(w, x) + c;
    });
    prepared.push({
      id,
      target,
      calibration,
      xs,
      ys,
      z: rows.map((e) => e.logits.get(id)!),
      loo,
    });
  }
  const looMacroAuroc = o.alphaGrid.map((alpha) =>
    prepared.length === 0
      ? Number.NaN
      : prepared.reduce(
          (s, p) =>
            s +
            auroc(
              p.z.map((z, i) => z + alpha * p.loo[i]!),
              p.ys,
            ),
          0,
        ) / prepared.length,
  );
  // The best alpha; the smallest among (near-)ties, so zero-shot wins unless the few-shot term helps.
  let best = 0;
  const order = o.alphaGrid.map((a, i) => ({ a, i })).sort((x, y) => x.a - y.a);
  for (const { i } of order) if (looMacroAuroc[i]! > looMacroAuroc[best]! + 1e-9) best = i;
  if (order.length > 0 && !(looMacroAuroc[best]! > looMacroAuroc[order[0]!.i]! + 1e-9))
    best = order[0]!.i;
  const alpha = o.alphaGrid[best] ?? 0;

  const labels = new Map<string, FittedLabelAdapter>();
  for (const p of prepared) {
    const { w, c } = linearDiscriminant(p.xs, p.ys, o.shrinkage);
    const adapted = p.z.map((z, i) => z + alpha * p.loo[i]!);
    // Platt's Newton steps start at a = 1: fit on standardised logits, then undo the scale.
    const mean = adapted.reduce((s, v) => s + v, 0) / adapted.length;
    const sd = Math.sqrt(adapted.reduce((s, v) => s + (v - mean) ** 2, 0) / adapted.length) || 1;
    const scaled = fitPlatt(
      adapted.map((v) => v / sd),
      p.ys,
    );
    const refit: Calibration = { method: "platt", a: scaled.a / sd, b: scaled.b };
    // Keep the model's own calibration where it already fits these studies better (log-loss).
    const calibration =
      logLoss(adapted, p.ys, p.calibration) <= logLoss(adapted, p.ys, refit)
        ? p.calibration
        : refit;
    const probabilities = adapted.map((z) => applyCalibration(calibration, z));
    const chosen = chooseThreshold(probabilities, p.ys, p.target);
    labels.set(p.id, {
      alpha,
      weights: w.map((v) => alpha * v),
      bias: alpha * c,
      calibration,
      threshold: chosen.threshold,
      target: p.target,
      fit: {
        n: p.ys.length,
        positives: p.ys.filter(Boolean).length,
        looAuroc: [auroc(p.z, p.ys), auroc(adapted, p.ys)],
      },
    });
  }
  return { alpha, looMacroAuroc, labels, skipped };
}
