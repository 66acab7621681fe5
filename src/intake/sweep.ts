/**
 * The reconciliation sweep: on a node-cron schedule (intake.sweepCron), a
 * QIDO-RS search for studies of the last `windowDays` days (by Study Date)
 * enqueues, with source "sweep", each study that has no job and no current
 * RadZ SR (reconcile.ts). It catches what the change feed missed: a lost
 * /changes history, an Orthanc index reset or replaced, a webhook that never
 * came. After an index reset the change feed requests a rescan durably
 * (INDEX_RESET_CURSOR); the sweep runs it at once and at every start until
 * one completes.
 *
 * Bounded: the sweep stops enqueueing while `maxQueued` jobs are queued (the
 * next run picks up the rest).
 */
import cron, { type ScheduledTask } from "node-cron";
import type { DicomWebClient } from "../dicomweb/index.js";
import { toRadzError } from "../errors.js";
import type { JobStore } from "../jobs/index.js";
import type { Logger } from "../observability/index.js";
import { INDEX_RESET_CURSOR } from "./change-feed.js";
import {
  dicomDate,
  searchStudiesByDate,
  type ReconcileOutcome,
  type StudyReconciler,
} from "./reconcile.js";

export interface SweepOptions {
  readonly dicomweb: Pick<DicomWebClient, "searchForStudies">;
  readonly reconciler: StudyReconciler;
  readonly store: JobStore;
  readonly logger: Logger;
  /** Studies whose Study Date lies within this many days of today. */
  readonly windowDays: number;
  readonly maxQueued: number;
  /** QIDO-RS page size (default 200). */
  readonly pageSize?: number;
  readonly now?: () => Date;
  /** Called after new jobs were committed (wakes the job runner). */
  readonly onEnqueued?: (count: number) => void;
}

export interface SweepReport {
  /** Studies QIDO-RS listed in the window. */
  readonly scanned: number;
  readonly enqueued: number;
  readonly outcomes: Readonly<Partial<Record<ReconcileOutcome, number>>>;
  /** True when the queue bound stopped the sweep early. */
  readonly deferred: boolean;
  /** The StudyDate range searched, "YYYYMMDD-YYYYMMDD". */
  readonly range: string;
}

export class ReconciliationSweep {
  private running: Promise<SweepReport> | null = null;
  private task: ScheduledTask | null = null;

  constructor(private readonly o: SweepOptions) {}

  /** The StudyDate range the sweep searches now. */
  range(): string {
    const today = (this.o.now ?? (() => new Date()))();
    const from = new Date(today.getFullYear(), today.getMonth(), today.getDate());
    from.setDate(from.getDate() - this.o.windowDays);
    return `${dicomDate(from)}-${dicomDate(today)}`;
  }

  /** One sweep; concurrent calls share the one in flight. */
  run(reason = "schedule"): Promise<SweepReport> {
    this.running ??= this.sweep(reason).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Runs a sweep if an index reset asked for one; clears the request when it completes. */
  async runIfRequested(): Promise<SweepReport | null> {
    const requested = this.o.store.getCursor(INDEX_RESET_CURSOR);
    if (requested === null || requested === 0) return null;
    const report = await this.run("index-reset");
    // A later reset (newer timestamp) keeps its own request.
    if (!report.deferred && this.o.store.getCursor(INDEX_RESET_CURSOR) === requested)
      this.o.store.setCursor(INDEX_RESET_CURSOR, 0);
    return report;
  }

  private async sweep(reason: string): Promise<SweepReport> {
    const { store, reconciler, logger, maxQueued } = this.o;
    const range = this.range();
    const outcomes: Partial<Record<ReconcileOutcome, number>> = {};
    let scanned = 0;
    let enqueued = 0;
    let deferred = false;
    const started = Date.now();
    outer: for await (const page of searchStudiesByDate(this.o.dicomweb, range, this.o.pageSize)) {
      for (const study of page) {
        scanned++;
        if (reconciler.precheck(study) === null && store.countInState("queued") >= maxQueued) {
          deferred = true;
          break outer;
        }
        const { outcome } = await reconciler.reconcile(study, "sweep");
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (outcome === "enqueued") {
          enqueued++;
          this.o.onEnqueued?.(1);
        }
      }
    }
    const report: SweepReport = { scanned, enqueued, outcomes, deferred, range };
    logger[enqueued > 0 || deferred ? "warn" : "info"](
      { reason, ...report, ms: Date.now() - started },
      enqueued > 0
        ? "reconciliation sweep found studies without a job; enqueued"
        : "reconciliation sweep done",
    );
    return report;
  }

  /** Sweeps on a node-cron schedule; a pending index-reset rescan runs first. */
  start(schedule: string): void {
    if (this.task) return;
    this.task = cron.schedule(schedule, () => {
      this.runIfRequested()
        .then((r) => (r === null ? this.run() : r))
        .catch((err: unknown) => {
          const e = toRadzError(err);
          this.o.logger.warn(
            { code: e.code, err: e.message },
            "reconciliation sweep failed; will retry next time",
          );
        });
    });
  }

  async stop(): Promise<void> {
    if (this.task) {
      await this.task.stop();
      this.task = null;
    }
    await this.running?.catch(() => undefined);
  }
}
