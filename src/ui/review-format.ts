/**
 * Pure helpers of the worklist's review parts (issue 21; no DOM): who a study
 * is, and what the feedback dialog says. Tested under Node in
 * test/ui/review-format.test.ts; loaded by the browser as /ui/review-format.js.
 */

/** GET /api/studies/{id}/identity (patient attributes: shown, never kept beyond the page). */
export interface StudyIdentity {
  readonly patientName: string | null;
  readonly patientId: string | null;
  readonly accessionNumber: string | null;
  readonly studyDescription: string | null;
  readonly studyDate: string | null;
}

export type Verdict = "present" | "absent";

/** One entry of GET/POST /api/studies/{id}/feedback. */
export interface FeedbackEntry {
  readonly label: string;
  readonly verdict: Verdict;
  readonly author: string;
  readonly createdAt: number;
}

/** "DOE^JANE^M" -> "DOE, JANE M" (DICOM PN: family^given^middle^prefix^suffix; first group only). */
export function patientNameText(pn: string | null): string {
  if (pn === null || pn.trim() === "") return "—";
  const alphabetic = pn.split("=")[0] ?? pn;
  const [family = "", ...rest] = alphabetic.split("^").map((p) => p.trim());
  const given = rest.filter((p) => p !== "").join(" ");
  if (family === "") return given || "—";
  return given === "" ? family : `${family}, ${given}`;
}

/** "20240105" -> "2024-01-05"; anything else as it is. */
export function studyDateText(da: string | null): string {
  if (da === null) return "";
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : da;
}

/** The lines of the Patient column: name; ID and accession; description and date. */
export function identityLines(id: StudyIdentity): [string, string, string] {
  const ids = [
    id.patientId === null ? null : `ID ${id.patientId}`,
    id.accessionNumber === null ? null : `Acc ${id.accessionNumber}`,
  ].filter((s): s is string => s !== null);
  const study = [id.studyDescription, studyDateText(id.studyDate)].filter(
    (s): s is string => s !== null && s !== "",
  );
  return [patientNameText(id.patientName), ids.join(" · "), study.join(" · ")];
}

/** May this role give feedback? (reviewer and admin) */
export function canGiveFeedback(role: string | null): boolean {
  return role === "reviewer" || role === "admin";
}

/** The current verdict per label (entries newest first, as the API lists them). */
export function currentVerdicts(entries: readonly FeedbackEntry[]): Map<string, FeedbackEntry> {
  const out = new Map<string, FeedbackEntry>();
  for (const e of entries) if (!out.has(e.label)) out.set(e.label, e);
  return out;
}

/**
 * What the dialog says of a label's current verdict, given whether the model
 * flagged it: "confirmed" / "rejected" for a flagged finding, "added (missed)"
 * for one the model did not flag, "" without feedback.
 */
export function verdictText(flagged: boolean, entry: FeedbackEntry | undefined): string {
  if (entry === undefined) return "";
  if (entry.verdict === "present") return flagged ? "confirmed" : "added (missed)";
  return flagged ? "rejected" : "absent";
}
