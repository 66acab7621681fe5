/**
 * Intake as one part: the ways a study becomes a job (the `/changes` feed,
 * the Orthanc hook's push, the QIDO-RS reconciliation sweep and index-reset
 * rescan) and the re-processing check of studies that changed after their
 * job finished — with the rules that join them, so the composition root
 * (src/app.ts) only wires:
 *
 *  - a push follows the feed's rule: a push for a study whose job already
 *    left the queue flags it for the re-processing check (unless
 *    intake.reprocessOnChange is "never"), and the check runs;
 *  - a job that settles while flagged (its study changed while it ran) runs
 *    the check;
 *  - a study Orthanc does not have (ORTHANC_NOT_FOUND) does not exist; every
 *    other failure is an error of its own.
 *
 * Background runs (the check, the rescan, the first poll) log their failure
 * and leave the retry to their schedule.
 */
import type { Config } from "../config/index.js";
import type { DicomWebClient } from "../dicomweb/index.js";
import { RadzError, toRadzError } from "../errors.js";
import type { EnqueueResult, Job, JobSource, JobStore } from "../jobs/index.js";
import type { Logger } from "../observability/index.js";
import type { OrthancClient } from "../orthanc/index.js";
import { ChangeFeed, type ChangeSource } from "./change-feed.js";
import { StudyReconciler } from "./reconcile.js";
import { ReprocessCheck } from "./reprocess.js";
import { ReconciliationSweep } from "./sweep.js";

export interface IntakeOptions {
  readonly config: Pick<Config, "intake" | "selection" | "jobs">;
  readonly store: JobStore;
  readonly orthanc: Pick<
    OrthancClient,
    "study" | "findStudyByUid" | "studySeries" | "instanceSopClassUid"
  >;
  readonly dicomweb: Pick<
    DicomWebClient,
    "searchForStudies" | "searchForSeries" | "seriesInstances"
  >;
  /** Orthanc's `/changes` (observed for metrics by the caller). */
  readonly changes: ChangeSource;
  /** The current RadZ results series UID of a study (reportUids(study, model).seriesInstanceUid). */
  readonly currentReportSeriesUid: (studyInstanceUid: string) => string;
  readonly logger: Logger;
  /** Wakes the job runner after jobs were committed or requeued. */
  readonly wake: () => void;
}

export class Intake {
  readonly feed: ChangeFeed;
  readonly sweep: ReconciliationSweep;
  readonly reprocess: ReprocessCheck;
  private readonly recheckExisting: boolean;

  constructor(private readonly o: IntakeOptions) {
    const { config, store, orthanc, dicomweb, logger } = o;
    this.recheckExisting = config.intake.reprocessOnChange !== "never";
    this.reprocess = new ReprocessCheck({
      policy: config.intake.reprocessOnChange,
      store,
      orthanc,
      dicomweb,
      selection: config.selection,
      logger,
      onRequeued: () => o.wake(),
    });
    this.sweep = new ReconciliationSweep({
      dicomweb,
      reconciler: new StudyReconciler({
        store,
        orthanc,
        dicomweb,
        modalities: config.selection.modalities,
        currentReportSeriesUid: o.currentReportSeriesUid,
      }),
      store,
      logger,
      windowDays: config.intake.sweepWindowDays,
      maxQueued: config.jobs.maxQueued,
      onEnqueued: () => o.wake(),
    });
    this.feed = new ChangeFeed({
      source: o.changes,
      store,
      logger,
      limit: config.intake.changesLimit,
      startFrom: config.intake.startFrom,
      onEnqueued: () => o.wake(),
      recheckExisting: this.recheckExisting,
      onFlagged: () => this.runReprocess(),
      maxQueued: config.jobs.maxQueued,
      onIndexReset: () => this.runRequestedRescan(),
    });
  }

  /** A push from the Orthanc hook (POST /webhook/orthanc): enqueued by the feed's rule. */
  push(orthancStudyId: string, source: JobSource): EnqueueResult {
    const [r] = this.o.store.enqueueBatch([orthancStudyId], source, undefined, {
      recheckExisting: this.recheckExisting,
    });
    if (r === undefined) throw new RadzError("INTERNAL", "the job store enqueued nothing");
    if (!r.created && r.job.recheck) this.runReprocess();
    return r;
  }

  /** A job settled; one flagged while it ran (its study changed) is checked again. */
  jobSettled(job: Pick<Job, "recheck">): void {
    if (job.recheck) this.runReprocess();
  }

  /** Whether Orthanc has the study: false on ORTHANC_NOT_FOUND, other failures thrown. */
  async studyExists(orthancStudyId: string): Promise<boolean> {
    try {
      await this.o.orthanc.study(orthancStudyId);
      return true;
    } catch (err) {
      if (toRadzError(err).code === "ORTHANC_NOT_FOUND") return false;
      throw err;
    }
  }

  /** Work a previous process left, then the sweep and the feed as configured (first poll awaited). */
  async start(): Promise<void> {
    const { intake } = this.o.config;
    this.runReprocess();
    this.runRequestedRescan();
    if (intake.sweep) this.sweep.start(intake.sweepCron);
    if (intake.poll) {
      this.feed.start(intake.pollCron);
      await this.feed.poll().catch((err: unknown) => {
        this.warn(err, "first change-feed poll failed; will retry on schedule");
      });
    }
  }

  async stop(): Promise<void> {
    await this.feed.stop();
    await this.sweep.stop();
    await this.reprocess.idle();
  }

  private runReprocess(): void {
    this.reprocess.run().catch((err: unknown) => this.warn(err, "re-processing check failed"));
  }

  private runRequestedRescan(): void {
    this.sweep.runIfRequested().catch((err: unknown) => {
      this.warn(err, "index-reset rescan failed; the sweep schedule retries it");
    });
  }

  private warn(err: unknown, message: string): void {
    const e = toRadzError(err);
    this.o.logger.warn({ code: e.code, err: e.message }, message);
  }
}
