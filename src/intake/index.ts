export {
  ChangeFeed,
  CHANGES_CURSOR,
  INDEX_RESET_CURSOR,
  type ChangeFeedOptions,
  type ChangeSource,
  type FeedChange,
} from "./change-feed.js";
export {
  ReprocessCheck,
  decideReprocess,
  type ReprocessCheckOptions,
  type ReprocessDecision,
  type ReprocessPolicy,
  type ReprocessReport,
} from "./reprocess.js";
export {
  StudyReconciler,
  daysBetween,
  dicomDate,
  parseDay,
  searchStudiesByDate,
  type FoundStudy,
  type ReconcileOutcome,
  type ReconcilerOptions,
} from "./reconcile.js";
export { ReconciliationSweep, type SweepOptions, type SweepReport } from "./sweep.js";
export { Intake, type IntakeOptions } from "./intake.js";
export {
  backfillMarker,
  runBackfill,
  type BackfillOptions,
  type BackfillProgress,
  type BackfillReport,
} from "./backfill.js";
export {
  selectImages,
  candidateFromDicomJson,
  candidateFromInstance,
  QIDO_INCLUDE_FIELDS,
  RejectionCode,
  type ImageCandidate,
  type SelectionRules,
  type SelectionResult,
  type Rejection,
} from "./selection.js";
