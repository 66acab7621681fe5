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
export { SqliteJobStore } from "./sqlite-store.js";
export { backoffDelay } from "./backoff.js";
export {
  studyFeedbackKey,
  type FeedbackEntry,
  type FeedbackFilter,
  type FeedbackInput,
} from "./feedback.js";
