/**
 * Study-level triage from the per-label scores.
 *
 * - `urgent`  : at least one positive finding whose bundle triage weight is >= 1
 * - `review`  : at least one positive finding, none of them urgent-weighted
 * - `routine` : no positive finding
 *
 * `score` = max over positive findings of probability x triageWeight (0 if none);
 * it orders studies of the same priority on the worklist.
 * `flagged` = label ids of the positive findings, highest probability x weight first.
 *
 * @example
 * triage([
 *   { labelId: "pneumothorax", probability: 0.91, positive: true,  triageWeight: 1,   ... },
 *   { labelId: "cardiomegaly", probability: 0.62, positive: true,  triageWeight: 0.5, ... },
 *   { labelId: "effusion",     probability: 0.10, positive: false, triageWeight: 1,   ... },
 * ])
 * // => { priority: "urgent", score: 0.91, flagged: ["pneumothorax", "cardiomegaly"] }
 */
import type { LabelScore } from "../model/index.js";

export const TriagePriority = {
  Urgent: "urgent",
  Review: "review",
  Routine: "routine",
} as const;
export type TriagePriority = (typeof TriagePriority)[keyof typeof TriagePriority];

/** Weight at or above which a positive finding makes the study urgent. */
export const URGENT_TRIAGE_WEIGHT = 1;

export interface TriageResult {
  readonly priority: TriagePriority;
  readonly score: number;
  readonly flagged: string[];
}

type TriageInput = Pick<LabelScore, "labelId" | "probability" | "positive" | "triageWeight">;

export function triage(findings: readonly TriageInput[]): TriageResult {
  const positives = findings
    .filter((f) => f.positive)
    .map((f) => ({
      labelId: f.labelId,
      weighted: f.probability * f.triageWeight,
      urgent: f.triageWeight >= URGENT_TRIAGE_WEIGHT,
    }));
  if (positives.length === 0) return { priority: TriagePriority.Routine, score: 0, flagged: [] };

  // Stable sort: equal weighted scores keep the bundle's label order.
  positives.sort((a, b) => b.weighted - a.weighted);
  const first = positives[0];
  return {
    priority: positives.some((p) => p.urgent) ? TriagePriority.Urgent : TriagePriority.Review,
    score: first === undefined ? 0 : first.weighted,
    flagged: positives.map((p) => p.labelId),
  };
}
