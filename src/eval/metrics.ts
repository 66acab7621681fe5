/**
 * Binary classification metrics over (score, truth) pairs, as the LLaVA-RadZ
 * and CheXzero papers report them: AUROC, the ROC curve, and the confusion
 * matrix at an operating threshold (sensitivity, specificity, accuracy, F1);
 * and calibration metrics: Brier score and expected calibration error.
 *
 * Conventions follow scikit-learn so results can be checked against it
 * (test/eval/sklearn.test.ts): a case is predicted positive when
 * score >= threshold; AUROC counts ties as one half (roc_auc_score); ECE uses
 * equal-width bins with right-closed edges (calibration_curve, strategy "uniform").
 * Sums run in float64 in input order.
 */

/** Scores and truths must pair up; returns the number of positives and negatives. */
function classCounts(scores: ArrayLike<number>, truth: ArrayLike<boolean>): [number, number] {
  if (scores.length !== truth.length)
    throw new RangeError(`scores (${scores.length}) and truth (${truth.length}) differ in length`);
  let pos = 0;
  for (let i = 0; i < truth.length; i++) {
    if (Number.isNaN(scores[i]!)) throw new RangeError(`score ${i} is NaN`);
    if (truth[i]) pos++;
  }
  return [pos, truth.length - pos];
}

/**
 * Area under the ROC curve by the Mann-Whitney U statistic with average ranks
 * for ties (O(n log n)). NaN when either class is absent.
 */
export function auroc(scores: ArrayLike<number>, truth: ArrayLike<boolean>): number {
  const [pos, neg] = classCounts(scores, truth);
  if (pos === 0 || neg === 0) return Number.NaN;
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[a]! - scores[b]!,
  );
  let rankSumPos = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (truth[order[k]!]) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface RocPoint {
  readonly fpr: number;
  readonly tpr: number;
  /** Cases with score >= threshold are called positive; the first point's threshold is +Infinity. */
  readonly threshold: number;
}

/**
 * The ROC curve at every distinct score, highest first, starting at (0, 0)
 * (scikit-learn's roc_curve with drop_intermediate=False).
 */
export function rocCurve(scores: ArrayLike<number>, truth: ArrayLike<boolean>): RocPoint[] {
  const [pos, neg] = classCounts(scores, truth);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[b]! - scores[a]!,
  );
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Number.POSITIVE_INFINITY }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length;) {
    const s = scores[order[i]!]!;
    while (i < order.length && scores[order[i]!] === s) {
      if (truth[order[i]!]) tp++;
      else fp++;
      i++;
    }
    points.push({
      fpr: neg > 0 ? fp / neg : Number.NaN,
      tpr: pos > 0 ? tp / pos : Number.NaN,
      threshold: s,
    });
  }
  return points;
}

export interface Confusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

/** Confusion matrix with "positive" meaning score >= threshold. */
export function confusionAt(
  scores: ArrayLike<number>,
  truth: ArrayLike<boolean>,
  threshold: number,
): Confusion {
  classCounts(scores, truth);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const called = scores[i]! >= threshold;
    if (truth[i]) {
      if (called) tp++;
      else fn++;
    } else if (called) fp++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : Number.NaN);

/** Sensitivity (recall, true-positive rate); NaN without positives. */
export const sensitivity = (c: Confusion): number => ratio(c.tp, c.tp + c.fn);
/** Specificity (true-negative rate); NaN without negatives. */
export const specificity = (c: Confusion): number => ratio(c.tn, c.tn + c.fp);
/** Positive predictive value; NaN when nothing is called positive. */
export const precision = (c: Confusion): number => ratio(c.tp, c.tp + c.fp);
export const accuracy = (c: Confusion): number => ratio(c.tp + c.tn, c.tp + c.tn + c.fp + c.fn);
/** F1 = 2 TP / (2 TP + FP + FN); 0 when there is no positive case and none called (scikit-learn's zero_division=0). */
export function f1(c: Confusion): number {
  const d = 2 * c.tp + c.fp + c.fn;
  return d > 0 ? (2 * c.tp) / d : 0;
}

/** Mean squared difference between probability and outcome (0/1). */
export function brierScore(probabilities: ArrayLike<number>, truth: ArrayLike<boolean>): number {
  classCounts(probabilities, truth);
  if (probabilities.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const d = probabilities[i]! - (truth[i] ? 1 : 0);
    s += d * d;
  }
  return s / probabilities.length;
}

export interface CalibrationBin {
  /** Lower and upper edge; a bin holds lo < p <= hi (the first bin also p = 0). */
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
  /** Mean predicted probability in the bin. */
  readonly meanProbability: number;
  /** Fraction of positives in the bin. */
  readonly fractionPositive: number;
}

/** Bin edges as numpy.linspace(0, 1, bins + 1) computes them (i * (1 / bins), last exactly 1). */
function binEdges(bins: number): number[] {
  const step = 1 / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => i * step);
  edges[bins] = 1;
  return edges;
}

/**
 * Reliability diagram data: equal-width bins over [0, 1]; empty bins are
 * left out. Bin index = number of inner edges strictly below p (numpy's
 * searchsorted, side "left"), so p on an edge falls in the lower bin.
 */
export function calibrationBins(
  probabilities: ArrayLike<number>,
  truth: ArrayLike<boolean>,
  bins = 10,
): CalibrationBin[] {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError("bins must be a positive integer");
  classCounts(probabilities, truth);
  const edges = binEdges(bins);
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    let b = 0;
    while (b < bins - 1 && edges[b + 1]! < p) b++;
    count[b]!++;
    sumP[b]! += p;
    if (truth[i]) sumY[b]!++;
  }
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    out.push({
      lo: edges[b]!,
      hi: edges[b + 1]!,
      count: count[b]!,
      meanProbability: sumP[b]! / count[b]!,
      fractionPositive: sumY[b]! / count[b]!,
    });
  }
  return out;
}

/** Expected calibration error: sum over bins of (count / n) * |fraction positive - mean probability|. */
export function expectedCalibrationError(
  probabilities: ArrayLike<number>,
  truth: ArrayLike<boolean>,
  bins = 10,
): number {
  if (probabilities.length === 0) return Number.NaN;
  let e = 0;
  for (const b of calibrationBins(probabilities, truth, bins))
    e += (b.count / probabilities.length) * Math.abs(b.fractionPositive - b.meanProbability);
  return e;
}
