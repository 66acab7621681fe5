export {
  ChangeFeed,
  CHANGES_CURSOR,
  INDEX_RESET_CURSOR,
  type ChangeSource,
  type FeedChange,
} from "./change-feed.js";
export { ReprocessCheck, decideReprocess } from "./reprocess.js";
export { StudyReconciler, daysBetween, dicomDate, parseDay } from "./reconcile.js";
export { ReconciliationSweep } from "./sweep.js";
export { Intake } from "./intake.js";
export {
  backfillMarker,
  runBackfill,
  type BackfillProgress,
  type BackfillReport,
} from "./backfill.js";
export { readStudyCandidates } from "./study-candidates.js";
export {
  selectImages,
  candidateFromDicomJson,
  candidateFromInstance,
  QIDO_INCLUDE_FIELDS,
  rejectSeries,
  type ImageCandidate,
} from "./selection.js";
