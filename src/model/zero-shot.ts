/**
 * Zero-shot scoring math: L2 normalisation, cosine similarity, label
 * embeddings from prompt/knowledge embeddings, and the three scoring modes.
 *
 * Every label gets a raw logit z = log-odds of its uncalibrated probability:
 *  - posneg-softmax (CheXzero): q = softmax([s*cos(e, pos), s*cos(e, neg)])[0], so z = s*(cos_pos - cos_neg);
 *  - softmax (across labels):   q_k = softmax_k(s*cos(e, label_k)), z_k = log(q_k / (1 - q_k));
 *  - sigmoid:                   z = s*cos(e, label) + bias, q = sigmoid(z).
 * Calibration then maps z to the reported probability; positive = probability >= threshold.
 * Sums run in float64 in a fixed order, so the same embedding always gives the same scores.
 */
import { RadzError } from "../errors.js";
import type { BundleLabel, BundleScoring } from "./bundle-schema.js";
import { applyCalibration } from "./calibration.js";
import type { LabelScore, PatchGrid } from "./types.js";

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new RangeError(`dot: lengths ${a.length} and ${b.length} differ`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function l2Norm(v: ArrayLike<number>): number {
  return Math.sqrt(dot(v, v));
}

/** A unit-length copy (float64 arithmetic, stored as Float32Array); throws on a zero or non-finite vector. */
export function l2Normalize(v: ArrayLike<number>): Float32Array {
  const n = l2Norm(v);
  if (!(n > 0) || !Number.isFinite(n))
    throw new RangeError("cannot normalise a zero or non-finite vector");
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / n;
  return out;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return dot(a, b) / (l2Norm(a) * l2Norm(b));
}

/** normalise(sum_i w_i * normalise(v_i)): the weighted mean direction of several embeddings. */
export function weightedMeanDirection(
  vectors: readonly ArrayLike<number>[],
  weights?: readonly number[],
): Float32Array {
  if (vectors.length === 0) throw new RangeError("weightedMeanDirection needs at least one vector");
  const dim = vectors[0]!.length;
  const acc = new Float64Array(dim);
  vectors.forEach((v, i) => {
    const w = weights ? weights[i]! : 1;
    if (w === 0) return;
    const u = l2Normalize(v);
    for (let j = 0; j < dim; j++) acc[j]! += w * u[j]!;
  });
  return l2Normalize(acc);
}

/**
 * A label's positive embedding from its prompt and knowledge embeddings:
 * normalise(promptWeight * P + knowledgeWeight * K) with P and K the mean
 * directions of the normalised prompt and knowledge embeddings. A part that
 * is missing (or has weight 0) is left out. Returns undefined when neither is usable.
 */
export function combineLabelEmbedding(
  promptEmbeddings: readonly ArrayLike<number>[],
  knowledgeEmbeddings: readonly ArrayLike<number>[],
  combine: BundleLabel["combine"],
): Float32Array | undefined {
  const parts: Float32Array[] = [];
  const weights: number[] = [];
  if (promptEmbeddings.length > 0 && combine.promptWeight > 0) {
    parts.push(weightedMeanDirection(promptEmbeddings));
    weights.push(combine.promptWeight);
  }
  if (knowledgeEmbeddings.length > 0 && combine.knowledgeWeight > 0) {
    parts.push(weightedMeanDirection(knowledgeEmbeddings));
    weights.push(combine.knowledgeWeight);
  }
  if (parts.length === 0) return undefined;
  return weightedMeanDirection(parts, weights);
}

/** Everything needed to score an image embedding: labels with their unit embeddings. */
export interface ScoringLabel {
  readonly label: BundleLabel;
  /** Unit-length positive (label) embedding. */
  readonly positive: Float32Array;
  /** Unit-length negative embedding (posneg-softmax only). */
  readonly negative?: Float32Array;
  /** A site adaptation's term w·e + c, added to the raw logit (src/model/adaptation.ts). */
  readonly adapter?: { readonly weights: Float32Array; readonly bias: number };
}

/** Raw logits z (log-odds of the uncalibrated probability), one per label, for one unit-length image embedding. */
export function rawLogits(
  embedding: Float32Array,
  labels: readonly ScoringLabel[],
  scoring: BundleScoring,
): number[] {
  const s = scoring.logitScale;
  switch (scoring.mode) {
    case "posneg-softmax":
      return labels.map((l) => {
        if (!l.negative)
          throw new RadzError(
            "BUNDLE_LABEL_EMBEDDING_MISSING",
            `label "${l.label.id}" has no negative embedding`,
          );
        return s * (dot(embedding, l.positive) - dot(embedding, l.negative));
      });
    case "sigmoid":
      return labels.map((l) => s * dot(embedding, l.positive) + scoring.bias);
    case "softmax": {
      const x = labels.map((l) => s * dot(embedding, l.positive));
      const max = Math.max(...x);
      const ex = x.map((v) => Math.exp(v - max));
      const total = ex.reduce((a, b) => a + b, 0);
      // log(q / (1 - q)) = x_k - log(sum_{j != k} exp(x_j)), computed stably.
      return x.map((xk, k) => {
        const others = total - ex[k]!;
        return others > 0 ? xk - max - Math.log(others) : Number.POSITIVE_INFINITY;
      });
    }
  }
}

/** Scores one image embedding (any length; it is L2-normalised here). */
export function scoreEmbedding(
  embedding: ArrayLike<number>,
  labels: readonly ScoringLabel[],
  scoring: BundleScoring,
): LabelScore[] {
  for (let i = 0; i < embedding.length; i++) {
    if (!Number.isFinite(embedding[i]!))
      throw new RadzError("INFERENCE_BAD_OUTPUT", "the image embedding contains NaN or Inf");
  }
  let unit: Float32Array;
  try {
    unit = l2Normalize(embedding);
  } catch {
    throw new RadzError("INFERENCE_BAD_OUTPUT", "the image embedding is all zeros");
  }
  const z = rawLogits(unit, labels, scoring);
  return labels.map((l, k) => {
    const logit = l.adapter ? z[k]! + dot(unit, l.adapter.weights) + l.adapter.bias : z[k]!;
    const probability = applyCalibration(l.label.calibration, logit);
    return {
      labelId: l.label.id,
      display: l.label.display,
      concept: l.label.concept,
      logit,
      probability,
      threshold: l.label.threshold,
      positive: probability >= l.label.threshold,
      triageWeight: l.label.triageWeight,
    };
  });
}

/**
 * Per-patch raw logits of the chosen labels (MaskCLIP-style similarity maps):
 * each patch embedding is L2-normalised and scored exactly as an image
 * embedding is (rawLogits), so a map is "this label's logit, had the image
 * been only this patch". Returns one Float32Array [height * width] per
 * requested label index, in `which` order. A zero patch gets the map's NaN-free
 * minimum (it says nothing).
 */
export function patchLogits(
  grid: PatchGrid,
  labels: readonly ScoringLabel[],
  scoring: BundleScoring,
  which: readonly number[],
): Float32Array[] {
  const { height, width, dim, data } = grid;
  const n = height * width;
  if (data.length !== n * dim)
    throw new RadzError(
      "INFERENCE_BAD_OUTPUT",
      `patch grid has ${data.length} values; expected ${height} x ${width} x ${dim}`,
    );
  const s = scoring.logitScale;
  const maps = which.map(() => new Float32Array(n));
  const zero = new Uint8Array(n);
  let zeros = 0;
  // Per patch: its length, then one dot product per direction (the same sums as rawLogits).
  const norms = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const off = p * dim;
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += data[off + i]! * data[off + i]!;
    if (!(ss > 0) || !Number.isFinite(ss)) {
      zero[p] = 1;
      zeros++;
    } else norms[p] = Math.sqrt(ss);
  }
  const dots = (v: Float32Array): Float64Array => {
    const out = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      if (zero[p]) continue;
      const off = p * dim;
      let d = 0;
      for (let i = 0; i < dim; i++) d += data[off + i]! * v[i]!;
      out[p] = d / norms[p]!;
    }
    return out;
  };
  if (scoring.mode === "softmax") {
    const all = labels.map((l) => dots(l.positive));
    const x = new Float64Array(labels.length);
    for (let p = 0; p < n; p++) {
      if (zero[p]) continue;
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < labels.length; k++) {
        x[k] = s * all[k]![p]!;
        if (x[k]! > max) max = x[k]!;
      }
      let total = 0;
      for (let k = 0; k < labels.length; k++) total += Math.exp(x[k]! - max);
      which.forEach((k, m) => {
        const others = total - Math.exp(x[k]! - max);
        maps[m]![p] = others > 0 ? x[k]! - max - Math.log(others) : Number.POSITIVE_INFINITY;
      });
    }
  } else {
    which.forEach((k, m) => {
      const l = labels[k]!;
      const map = maps[m]!;
      if (scoring.mode === "sigmoid") {
        const pos = dots(l.positive);
        for (let p = 0; p < n; p++) map[p] = s * pos[p]! + scoring.bias;
        return;
      }
      if (!l.negative)
        throw new RadzError(
          "BUNDLE_LABEL_EMBEDDING_MISSING",
          `label "${l.label.id}" has no negative embedding`,
        );
      // s * (cos(p, pos) - cos(p, neg)) = s * cos-numerator of p against (pos - neg): one dot product.
      const delta = new Float32Array(dim);
      for (let i = 0; i < dim; i++) delta[i] = l.positive[i]! - l.negative[i]!;
      const d = dots(delta);
      for (let p = 0; p < n; p++) map[p] = s * d[p]!;
    });
  }
  if (zeros > 0) {
    for (const map of maps) {
      let min = Number.POSITIVE_INFINITY;
      for (let p = 0; p < n; p++) if (!zero[p] && map[p]! < min) min = map[p]!;
      for (let p = 0; p < n; p++) if (zero[p]) map[p] = Number.isFinite(min) ? min : 0;
    }
  }
  return maps;
}
