/**
 * Job states and the transitions allowed between them — the one place they are
 * declared. A stable study ends done, skipped (nothing eligible, with a reason)
 * or failed (with a reason and attempts); see docs/architecture.md "Nothing is lost".
 *
 *   queued  --claim-->            running
 *   running --complete-->         done
 *   running --skip-->             skipped
 *   running --transient error-->  queued   (attempts < max, retry after backoff)
 *   running --error-->            failed   (permanent, or attempts exhausted)
 *   running --crash recovery-->   queued   (process died while running)
 *   done | skipped | failed --reprocess/retry--> queued
 */
export const JobState = {
  Queued: "queued",
  Running: "running",
  Done: "done",
  Skipped: "skipped",
  Failed: "failed",
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

export const JOB_STATES: readonly JobState[] = Object.values(JobState);

export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  queued: ["running", "queued"],
  running: ["done", "skipped", "queued", "failed"],
  done: ["queued"],
  skipped: ["queued"],
  failed: ["queued"],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(state: JobState): boolean {
  return state === JobState.Done || state === JobState.Skipped || state === JobState.Failed;
}
