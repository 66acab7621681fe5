/**
 * Study-level findings from per-image scores: per label, the maximum (default)
 * or the mean of the calibrated probabilities; positive when it reaches the
 * label's threshold.
 */
import type { LabelScore } from "../model/index.js";

export type Aggregation = "max" | "mean";

export function aggregateScores(
  perImage: readonly (readonly LabelScore[])[],
  how: Aggregation,
): LabelScore[] {
  const first = perImage[0];
  if (!first) return [];
  return first.map((label, i) => {
    const column = perImage.map((scores) => {
      const s = scores[i];
      if (!s || s.labelId !== label.labelId)
        throw new Error(`label order differs between images at ${i}`);
      return s;
    });
    if (how === "max") {
      return column.reduce((best, s) => (s.probability > best.probability ? s : best));
    }
    const probability = column.reduce((a, s) => a + s.probability, 0) / column.length;
    const logit = column.reduce((a, s) => a + s.logit, 0) / column.length;
    return { ...label, probability, logit, positive: probability >= label.threshold };
  });
}
