/**
 * What RadZ writes into Orthanc to flag a study, computed from its result:
 *
 * - Orthanc >= 1.12, labels: `<prefix>urgent` or `<prefix>review` for the
 *   study's priority (nothing for routine), and `<prefix><labelId>` for every
 *   positive finding. Every label starting with the prefix is RadZ's own: a
 *   re-processing replaces them all; other labels are never touched.
 * - Older Orthanc, study user metadata (names configurable, registered in
 *   Orthanc's "UserMetadata" option): priority and findings only while the
 *   study is flagged (deleted otherwise), status and the SR's SOP Instance UID
 *   always.
 *
 * Pure functions: no I/O, no PHI (label ids, probabilities and UIDs only).
 */

export type FlagPriority = "urgent" | "review" | "routine";

/** The part of a study's result that decides its flags. */
export interface FlagInput {
  readonly priority: FlagPriority;
  readonly findings: readonly {
    readonly labelId: string;
    readonly probability: number;
    readonly positive: boolean;
  }[];
  readonly sr: { readonly sopInstanceUid: string } | null;
}

/** Names of the study metadata entries used on Orthanc without labels. */
export interface FlagMetadataNames {
  /** "urgent" | "review"; absent when routine. */
  readonly priority: string;
  /** "pneumothorax=0.97;cardiomegaly=0.62" (positive findings, most probable first); absent when none. */
  readonly findings: string;
  /** "done" once RadZ has written its result. */
  readonly status: string;
  /** SOP Instance UID of the RadZ SR in the study. */
  readonly result: string;
}

export const DEFAULT_METADATA_NAMES: FlagMetadataNames = Object.freeze({
  priority: "RadzPriority",
  findings: "RadzFindings",
  status: "RadzStatus",
  result: "RadzResult",
});

/** Orthanc's label rule: 1-64 of A-Z a-z 0-9 _ -. */
export const ORTHANC_LABEL_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A label id as an Orthanc label: characters outside [A-Za-z0-9_-] become "_", cut to 64. */
export function flagLabel(prefix: string, name: string): string {
  return `${prefix}${name.replace(/[^A-Za-z0-9_-]/g, "_")}`.slice(0, 64);
}

function positivesByProbability(input: FlagInput): FlagInput["findings"] {
  return input.findings.filter((f) => f.positive).sort((a, b) => b.probability - a.probability);
}

/** The complete set of RadZ labels the study should carry (sorted, no duplicates). */
export function desiredLabels(input: FlagInput, prefix: string): string[] {
  const labels = new Set<string>();
  if (input.priority !== "routine") labels.add(flagLabel(prefix, input.priority));
  for (const f of positivesByProbability(input)) labels.add(flagLabel(prefix, f.labelId));
  return [...labels].sort();
}

/** True when a label belongs to RadZ (carries the prefix). */
export function isOwnLabel(label: string, prefix: string): boolean {
  return label.startsWith(prefix);
}

/** Metadata name → value to write, or null to delete it. */
export function desiredMetadata(
  input: FlagInput,
  names: FlagMetadataNames,
): ReadonlyMap<string, string | null> {
  const positives = positivesByProbability(input);
  return new Map<string, string | null>([
    [names.status, "done"],
    [names.result, input.sr?.sopInstanceUid ?? null],
    [names.priority, input.priority === "routine" ? null : input.priority],
    [
      names.findings,
      positives.length === 0
        ? null
        : positives.map((f) => `${f.labelId}=${f.probability.toFixed(2)}`).join(";"),
    ],
  ]);
}
