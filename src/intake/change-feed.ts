/**
 * Watches Orthanc's /changes feed for StableStudy events and only enqueues:
 * inference never runs inside the feed loop. The cursor moves in the same
 * SQLite transaction as the jobs it covers (JobStore.enqueueBatch), so a crash
 * can repeat an enqueue (idempotent) but never skip a study.
 *
 * - A StableStudy for a study that already has a finished (or running) job
 *   flags that job for the re-processing check (recheckExisting), in the same
 *   transaction.
 * - Bounded queue: while `maxQueued` jobs are queued the feed reads nothing
 *   and the cursor stays where it is (deferred, never dropped).
 * - Orthanc's index reset or replaced (`Last` below the cursor): the cursor
 *   restarts at 0 and a QIDO-RS rescan is requested durably
 *   (INDEX_RESET_CURSOR, written before the cursor moves back) so studies whose
 *   changes are gone from the new index are still found by the sweep.
 */
import cron, { type ScheduledTask } from "node-cron";
import { toRadzError } from "../errors.js";
import type { JobStore } from "../jobs/index.js";
import type { Logger } from "../observability/index.js";

export interface FeedChange {
  readonly seq: number;
  readonly changeType: string;
  readonly resourceType: string;
  readonly resourceId: string;
}

/** The part of the Orthanc client the feed needs (structural, so tests can pass a fake). */
export interface ChangeSource {
  changes(
    since: number,
    limit: number,
  ): Promise<{ changes: FeedChange[]; last: number; done: boolean }>;
  lastChange(): Promise<number>;
}

export const CHANGES_CURSOR = "orthanc-changes";
/** Epoch ms of the last detected index reset whose rescan has not completed (0/absent: none). */
export const INDEX_RESET_CURSOR = "orthanc-index-reset";

export interface ChangeFeedOptions {
  source: ChangeSource;
  store: JobStore;
  logger: Logger;
  limit: number;
  /** Where to start when no cursor is stored: "now" ignores history, "beginning" reads the whole feed. */
  startFrom: "now" | "beginning";
  /** Called after new jobs were committed (wakes the job runner). */
  onEnqueued?: (count: number) => void;
  /** Flag existing non-queued jobs for the re-processing check (default false). */
  recheckExisting?: boolean;
  /** Called after existing jobs were flagged for the re-processing check. */
  onFlagged?: (count: number) => void;
  /** Defer intake while this many jobs are queued (default: no bound). */
  maxQueued?: number;
  /** Called after an index reset was detected and the rescan request committed. */
  onIndexReset?: () => void;
  now?: () => number;
}

export class ChangeFeed {
  private running: Promise<number> | null = null;
  private task: ScheduledTask | null = null;
  private deferring = false;
  private failing = false;

  constructor(private readonly options: ChangeFeedOptions) {}

  /**
   * Reads the feed until Orthanc says Done, enqueueing StableStudy changes.
   * Concurrent calls share the one in flight. Returns the number of new jobs.
   */
  poll(): Promise<number> {
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async drain(): Promise<number> {
    const { source, store, limit, logger } = this.options;
    let cursor = store.getCursor(CHANGES_CURSOR);
    if (cursor === null) {
      cursor = this.options.startFrom === "now" ? await source.lastChange() : 0;
      store.setCursor(CHANGES_CURSOR, cursor);
      logger.info({ cursor, startFrom: this.options.startFrom }, "change feed cursor initialised");
    }
    let created = 0;
    const { maxQueued } = this.options;
    for (;;) {
      if (maxQueued !== undefined) {
        const queued = store.countInState("queued");
        if (queued >= maxQueued) {
          if (!this.deferring)
            logger.warn(
              { queued, maxQueued, cursor },
              "job queue full; deferring intake (the cursor stays until there is room)",
            );
          this.deferring = true;
          break;
        }
        if (this.deferring)
          logger.info({ queued, maxQueued }, "job queue has room; intake resumes");
        this.deferring = false;
      }
      const page = await source.changes(cursor, limit);
      if (page.last < cursor) {
        // Orthanc's index was reset or replaced: its sequence numbers restarted.
        logger.warn(
          { cursor, last: page.last },
          "Orthanc change sequence went backwards; restarting the cursor and requesting a QIDO-RS rescan",
        );
        // Rescan request first: a crash in between repeats the detection.
        store.setCursor(INDEX_RESET_CURSOR, (this.options.now ?? Date.now)());
        cursor = 0;
        store.setCursor(CHANGES_CURSOR, 0);
        this.options.onIndexReset?.();
        continue;
      }
      const studies = [
        ...new Set(
          page.changes
            .filter((c) => c.changeType === "StableStudy" && c.resourceType === "Study")
            .map((c) => c.resourceId),
        ),
      ];
      const results = store.enqueueBatch(
        studies,
        "changes",
        { name: CHANGES_CURSOR, value: page.last },
        { recheckExisting: this.options.recheckExisting === true },
      );
      const fresh = results.filter((r) => r.created).length;
      const flagged = results.filter((r) => !r.created && r.job.recheck).length;
      created += fresh;
      if (studies.length > 0)
        logger.debug(
          { stable: studies.length, fresh, flagged, cursor: page.last },
          "changes enqueued",
        );
      if (fresh > 0) this.options.onEnqueued?.(fresh);
      if (flagged > 0) this.options.onFlagged?.(flagged);
      cursor = page.last;
      if (page.done || page.changes.length === 0) break;
    }
    return created;
  }

  /** Polls on a node-cron schedule (with seconds field). Overlapping ticks share one poll. */
  start(schedule: string): void {
    if (this.task) return;
    this.task = cron.schedule(schedule, () => {
      this.poll().then(
        () => {
          if (this.failing) this.options.logger.info("change feed polls succeed again");
          this.failing = false;
        },
        (err: unknown) => {
          const e = toRadzError(err);
          // Warn once per failure streak (an outage would otherwise log every tick).
          this.options.logger[this.failing ? "debug" : "warn"](
            { code: e.code, err: e.message },
            "change feed poll failed; will retry next tick",
          );
          this.failing = true;
        },
      );
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
