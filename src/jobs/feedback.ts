/**
 * Radiologist feedback on findings: per (study, label) whether the finding is
 * present or absent, who said so and when. Stored append-only in the job
 * store (table `feedback`, migration v4); the latest entry per (study, label)
 * is the current verdict. No PHI: a study is stored as the key
 * studyFeedbackKey(StudyInstanceUID) (sha256, first 32 hex) plus the job id
 * when the store has a job for it.
 */
import { createHash } from "node:crypto";

export const FEEDBACK_VERDICTS = ["present", "absent"] as const;
export type FeedbackVerdict = (typeof FEEDBACK_VERDICTS)[number];
export const FEEDBACK_SOURCES = ["import", "worklist"] as const;
export type FeedbackSource = (typeof FEEDBACK_SOURCES)[number];

/** The key feedback stores a study under: sha256 of its Study Instance UID, first 32 hex characters. */
export function studyFeedbackKey(studyInstanceUid: string): string {
  return createHash("sha256").update(studyInstanceUid).digest("hex").slice(0, 32);
}

export interface FeedbackInput {
  readonly studyInstanceUid: string;
  readonly label: string;
  readonly verdict: FeedbackVerdict;
}

export interface FeedbackEntry {
  readonly id: number;
  readonly studyKey: string;
  /** The job of this study in the store, when there is one. */
  readonly jobId: number | null;
  readonly label: string;
  readonly verdict: FeedbackVerdict;
  /** Who: the API token or user name, or "import" with the file name. */
  readonly author: string;
  readonly source: FeedbackSource;
  readonly createdAt: number;
}

export interface FeedbackFilter {
  readonly label?: string | undefined;
  /** One study's feedback (its studyFeedbackKey). */
  readonly studyKey?: string | undefined;
  /** Only the latest entry per (study, label) (default true). */
  readonly current?: boolean | undefined;
  readonly limit?: number | undefined;
}
