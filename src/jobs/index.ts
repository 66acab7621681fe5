export { JobState, JOB_STATES, canTransition, isTerminal } from "./states.js";
export type {
  Job,
  JobFilter,
  JobResult,
  JobSource,
  JobStore,
  EnqueueResult,
  ResultRegion,
} from "./types.js";
export { openJobStoreFile, SqliteJobStore } from "./sqlite-store.js";
export { backoffDelay } from "./backoff.js";
export {
  FEEDBACK_VERDICTS,
  studyFeedbackKey,
  type FeedbackEntry,
  type FeedbackFilter,
  type FeedbackInput,
  type FeedbackSource,
  type FeedbackVerdict,
} from "./feedback.js";
