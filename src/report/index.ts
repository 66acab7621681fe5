/**
 * report/: the RadZ result as a DICOM Comprehensive 3D SR (TID 1500, IHE AI
 * Results) plus a summary image (Secondary Capture) in the same series, its
 * triage priority, the tools to read it back, and how to recognise earlier
 * RadZ results in a study. Takes values and returns bytes: no network I/O
 * here (docs/architecture.md).
 */
export { CODES, RADZ_EQUIPMENT_MODEL_NAME, UNITS } from "./codes.js";
export { readStudyReport, type ParsedFinding, type ParsedReport } from "./parse-report.js";
export {
  findPreviousResults,
  isRadzResult,
  type PreviousResults,
  type StudyInstanceInfo,
} from "./previous-results.js";
export { readSourceDataset } from "./source-dataset.js";
export {
  buildStudyReport,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  machineGeneratedStatement,
  reportUids,
  type BuiltReport,
  type SourceImageRef,
  type StudyReportInput,
} from "./structured-report.js";
export {
  buildSummaryImage,
  type BuiltSummaryImage,
  type SummaryImageInput,
} from "./summary-image.js";
export {
  renderSummaryPicture,
  SUMMARY_LAYOUT,
  systemFontsRenderText,
  type SummaryPicture,
  type SummaryPictureInput,
  type TextRenderer,
} from "./summary-render.js";
export { triage, TriagePriority, URGENT_TRIAGE_WEIGHT, type TriageResult } from "./triage.js";
export { deterministicUid, isValidUid, randomUid } from "./uid.js";
