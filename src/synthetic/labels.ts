/** Finding label ids the synthetic generator can draw (and the demo bundle recognises). */
export const SYNTHETIC_LABELS = [
  "pleural_effusion",
  "pneumothorax",
  "cardiomegaly",
  "consolidation",
  "nodule",
] as const;

export type SyntheticLabel = (typeof SYNTHETIC_LABELS)[number];
