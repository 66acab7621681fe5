/**
 * report/: the RadZ result as a DICOM Comprehensive 3D SR (TID 1500, IHE AI
 * Results), its triage priority, and the tools to read it back. Takes values
 * and returns bytes: no network I/O here (docs/architecture.md).
 */
export { CHEST_FINDINGS, CODES, COMPREHENSIVE_3D_SR_SOP_CLASS_UID, UNITS } from "./codes.js";
export { readStudyReport, type ParsedFinding, type ParsedReport } from "./parse-report.js";
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
export { triage, TriagePriority, URGENT_TRIAGE_WEIGHT, type TriageResult } from "./triage.js";
export { deterministicUid, isValidUid, randomUid } from "./uid.js";
