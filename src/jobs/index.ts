export { JobState, JOB_STATES, TRANSITIONS, canTransition, isTerminal } from "./states.js";
export type {
  Job,
  JobError,
  JobFilter,
  JobResult,
  JobSource,
  JobStore,
  EnqueueResult,
  EnqueueOptions,
  RetryOptions,
} from "./types.js";
export { SqliteJobStore, type SqliteJobStoreOptions } from "./sqlite-store.js";
export { backoffDelay } from "./backoff.js";
export {
  FEEDBACK_VERDICTS,
  studyFeedbackKey,
  type FeedbackEntry,
  type FeedbackFilter,
  type FeedbackInput,
  type FeedbackVerdict,
} from "./feedback.js";
