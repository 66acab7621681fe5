/**
 * report/: the RadZ result as a DICOM Comprehensive SR (TID 1500, IHE AI
 * Results; the regions of positive findings as TID 1410 groups viewers draw)
 * plus a summary image (Secondary Capture) in a series of its own, its
 * triage priority, the tools to read it back, and how to recognise earlier
 * RadZ results in a study. Takes values and returns bytes: no network I/O
 * here (docs/architecture.md).
 */
export { RADZ_EQUIPMENT_MODEL_NAME } from "./codes.js";
export { readStudyReport } from "./parse-report.js";
export {
  findPreviousResults,
  type PreviousResults,
  type StudyInstanceInfo,
} from "./previous-results.js";
export {
  buildStudyReport,
  reportUids,
  type BuiltReport,
  type SourceImageRef,
} from "./structured-report.js";
export { buildSummaryImage, type BuiltSummaryImage } from "./summary-image.js";
export { triage, type TriageResult } from "./triage.js";
