import type { JobState } from "./states.js";

/** Where the job came from. */
export type JobSource = "changes" | "webhook" | "sweep" | "manual" | "backfill";

export interface JobError {
  readonly code: string;
  readonly message: string;
}

/**
 * Where a finding is on one image read (`radz infer --json`, the job record
 * and the API use this one shape): source pixel coordinates, x = column,
 * y = row, (0, 0) the top-left corner of the top-left pixel.
 */
export interface ResultRegion {
  readonly sopInstanceUID: string;
  /** Frame number, 1-based. */
  readonly frame: number;
  readonly peak: readonly [number, number];
  /** [x0, y0, x1, y1]. */
  readonly box: readonly [number, number, number, number];
  readonly polygon: readonly (readonly [number, number])[];
  /** The label's calibration applied to the region's peak patch logit. */
  readonly score: number;
}

/** What a finished job records (no PHI: UIDs, scores, timings only). */
export interface JobResult {
  readonly studyInstanceUid: string;
  readonly findings: readonly {
    readonly labelId: string;
    readonly display: string;
    readonly probability: number;
    readonly threshold: number;
    readonly positive: boolean;
    /** Positive findings, from bundles with a spatial output; absent otherwise (and in results recorded before). */
    readonly regions?: readonly ResultRegion[];
  }[];
  readonly priority: "urgent" | "review" | "routine";
  readonly triageScore: number;
  readonly model: { readonly id: string; readonly version: string; readonly labelSetHash: string };
  readonly images: readonly string[];
  readonly sr: { readonly sopInstanceUid: string; readonly seriesInstanceUid: string } | null;
  /** Milliseconds per stage (qido, wado, decode, preprocess, inference, srBuild, stow, flags...). */
  readonly timings: Readonly<Record<string, number>>;
}

export interface Job {
  readonly id: number;
  /** Orthanc's study ID (the natural key for the listener). */
  readonly orthancStudyId: string;
  readonly studyInstanceUid: string | null;
  readonly state: JobState;
  readonly attempts: number;
  readonly source: JobSource;
  readonly lastError: JobError | null;
  /** Epoch ms before which a queued job is not claimed (retry backoff). */
  readonly notBefore: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly result: JobResult | null;
  /** Reason a job was skipped. */
  readonly skipReason: string | null;
  /**
   * Orthanc reported the study stable again after this job was enqueued; the
   * re-processing policy (intake.reprocessOnChange) decides once it is finished.
   */
  readonly recheck: boolean;
}

export interface JobFilter {
  state?: JobState | undefined;
  priority?: JobResult["priority"] | undefined;
  sinceMs?: number | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface EnqueueResult {
  readonly job: Job;
  /** False when a job for the study already existed (and was left as it was, unless flagged). */
  readonly created: boolean;
}

export interface EnqueueOptions {
  /** Mark jobs that already existed (and are not queued) for a re-processing check (Job.recheck). */
  readonly recheckExisting?: boolean;
}

export interface RetryOptions {
  /**
   * false: this attempt does not count towards jobs.maxAttempts (the PACS was
   * down, not the study at fault). Default true.
   */
  readonly countAttempt?: boolean;
}

/**
 * The durable job store. One implementation (SQLite) today; the conformance
 * suite in test/jobs/ is written against this interface.
 */
export interface JobStore {
  /** Enqueue jobs for studies and move a feed cursor in ONE transaction: the cursor never passes an uncommitted job. */
  enqueueBatch(
    orthancStudyIds: readonly string[],
    source: JobSource,
    cursor?: { name: string; value: number },
    options?: EnqueueOptions,
  ): EnqueueResult[];
  enqueue(orthancStudyId: string, source: JobSource): EnqueueResult;
  /** Put a finished job back to queued (reprocess / manual retry); clears `recheck`. */
  requeue(orthancStudyId: string, source: JobSource): Job;
  /** Atomically take the oldest claimable queued job (state → running, attempts + 1). */
  claimNext(now: number): Job | null;
  setStudyInstanceUid(id: number, uid: string): void;
  complete(id: number, result: JobResult): Job;
  skip(id: number, reason: string, error: JobError): Job;
  /** Transient failure with attempts left: back to queued until retryAt. Otherwise: failed. */
  retryLater(id: number, error: JobError, retryAt: number, options?: RetryOptions): Job;
  fail(id: number, error: JobError): Job;
  /**
   * Crash recovery / shutdown: running jobs go back to queued. Returns how many.
   * With `failAtAttempts`, a running job that already used that many attempts
   * is failed with `error` instead (a study that kills the process each time).
   */
  requeueRunning(options?: { failAtAttempts: number; error: JobError }): number;
  get(id: number): Job | null;
  getByStudy(orthancStudyId: string): Job | null;
  /** The job whose Study Instance UID is known to be `uid` (set once processed), or null. */
  getByStudyUid(studyInstanceUid: string): Job | null;
  /** Finished (done/skipped/failed) jobs flagged for a re-processing check, oldest first. */
  listRecheck(limit: number): Job[];
  /** The re-processing check ran and decided to leave the job as it is. */
  clearRecheck(id: number): void;
  /** How many jobs are in one state (cheap: uses the state index). */
  countInState(state: JobState): number;
  list(filter?: JobFilter): Job[];
  countByState(): Record<string, number>;
  /** Earliest notBefore among queued jobs, or null when none is queued. */
  nextWakeUp(): number | null;
  getCursor(name: string): number | null;
  setCursor(name: string, value: number): void;
  close(): void;
}
