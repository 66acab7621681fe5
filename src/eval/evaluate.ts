/**
 * Per-label evaluation tables (the numbers the LLaVA-RadZ and CheXzero papers
 * report) from study-level probabilities and ground truth.
 */
import { bootstrapAurocCi, type BootstrapOptions } from "./bootstrap.js";
import type { PredictedRegion } from "./localisation.js";
import {
  accuracy,
  auroc,
  brierScore,
  confusionAt,
  expectedCalibrationError,
  f1,
  precision,
  rocCurve,
  sensitivity,
  specificity,
  type Confusion,
  type RocPoint,
} from "./metrics.js";

export interface LabelEvaluation {
  /** Studies with a known truth for this label. */
  readonly n: number;
  readonly positives: number;
  readonly auroc: number;
  /** Bootstrap percentile interval of the AUROC (level 0.95 unless configured). */
  readonly aurocCi: readonly [number, number];
  /** Operating threshold on the calibrated probability (positive when >=). */
  readonly threshold: number;
  readonly f1: number;
  readonly accuracy: number;
  readonly sensitivity: number;
  readonly specificity: number;
  readonly precision: number;
  readonly confusion: Confusion;
  readonly brier: number;
  /** Expected calibration error, 10 equal-width bins. */
  readonly ece: number;
}

export const ECE_BINS = 10;

/** One label: probabilities and truths of the same studies, in the same order. */
export function evaluateLabel(
  probabilities: readonly number[],
  truth: readonly boolean[],
  threshold: number,
  bootstrap: BootstrapOptions = {},
): LabelEvaluation {
  const confusion = confusionAt(probabilities, truth, threshold);
  return {
    n: truth.length,
    positives: truth.filter(Boolean).length,
    auroc: auroc(probabilities, truth),
    aurocCi: bootstrapAurocCi(probabilities, truth, bootstrap),
    threshold,
    f1: f1(confusion),
    accuracy: accuracy(confusion),
    sensitivity: sensitivity(confusion),
    specificity: specificity(confusion),
    precision: precision(confusion),
    confusion,
    brier: brierScore(probabilities, truth),
    ece: expectedCalibrationError(probabilities, truth, ECE_BINS),
  };
}

/** One study's scored labels (label id -> calibrated probability and the label's threshold). */
export interface ScoredStudy {
  readonly studyInstanceUid: string;
  readonly scores: ReadonlyMap<
    string,
    { readonly probability: number; readonly threshold: number }
  >;
  /** Label id -> its regions on the study's images (bundles with a spatial output). */
  readonly regions?: ReadonlyMap<string, readonly PredictedRegion[]>;
  /** With scoreStudies' keepEmbeddings: the image embeddings as scored, one row per image. */
  readonly embeddings?: readonly ArrayLike<number>[];
}

export interface LabelSeries {
  readonly probabilities: number[];
  readonly truth: boolean[];
  readonly threshold: number;
}

/**
 * Pairs scored studies with truth, per label: only labels both scored and in
 * the truth table, only studies whose truth for that label is known.
 */
export function labelSeries(
  scored: readonly ScoredStudy[],
  truth: ReadonlyMap<string, ReadonlyMap<string, boolean>>,
  labelIds: readonly string[],
): Map<string, LabelSeries> {
  const out = new Map<string, LabelSeries>();
  for (const id of labelIds) {
    const series: LabelSeries = { probabilities: [], truth: [], threshold: Number.NaN };
    let threshold = Number.NaN;
    for (const s of scored) {
      const t = truth.get(s.studyInstanceUid)?.get(id);
      const score = s.scores.get(id);
      if (t === undefined || !score) continue;
      series.probabilities.push(score.probability);
      series.truth.push(t);
      threshold = score.threshold;
    }
    out.set(id, { ...series, threshold });
  }
  return out;
}

export interface EvaluationOptions {
  readonly bootstrap?: BootstrapOptions;
}

/** Evaluates every label series; ROC points come along for the plot. */
export function evaluateSeries(
  series: ReadonlyMap<string, LabelSeries>,
  options: EvaluationOptions = {},
): { labels: Record<string, LabelEvaluation>; roc: Record<string, RocPoint[]> } {
  const labels: Record<string, LabelEvaluation> = {};
  const roc: Record<string, RocPoint[]> = {};
  for (const [id, s] of series) {
    labels[id] = evaluateLabel(s.probabilities, s.truth, s.threshold, options.bootstrap);
    roc[id] = rocCurve(s.probabilities, s.truth);
  }
  return { labels, roc };
}
