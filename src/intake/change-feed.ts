/**
 * Watches Orthanc's /changes feed for StableStudy events and only enqueues:
 * inference never runs inside the feed loop. The cursor moves in the same
 * SQLite transaction as the jobs it covers (JobStore.enqueueBatch), so a crash
 * can repeat an enqueue (idempotent) but never skip a study.
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

export interface ChangeFeedOptions {
  source: ChangeSource;
  store: JobStore;
  logger: Logger;
  limit: number;
  /** Where to start when no cursor is stored: "now" ignores history, "beginning" reads the whole feed. */
  startFrom: "now" | "beginning";
  /** Called after new jobs were committed (wakes the job runner). */
  onEnqueued?: (count: number) => void;
}

export class ChangeFeed {
  private running: Promise<number> | null = null;
  private task: ScheduledTask | null = null;

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
    for (;;) {
      const page = await source.changes(cursor, limit);
      if (page.last < cursor) {
        // Orthanc's index was reset or replaced: its sequence numbers restarted.
        logger.warn(
          { cursor, last: page.last },
          "Orthanc change sequence went backwards; restarting the cursor",
        );
        cursor = 0;
        store.setCursor(CHANGES_CURSOR, 0);
        continue;
      }
      const studies = [
        ...new Set(
          page.changes
            .filter((c) => c.changeType === "StableStudy" && c.resourceType === "Study")
            .map((c) => c.resourceId),
        ),
      ];
      const results = store.enqueueBatch(studies, "changes", {
        name: CHANGES_CURSOR,
        value: page.last,
      });
      const fresh = results.filter((r) => r.created).length;
      created += fresh;
      if (studies.length > 0)
        logger.debug({ stable: studies.length, fresh, cursor: page.last }, "changes enqueued");
      if (fresh > 0) this.options.onEnqueued?.(fresh);
      cursor = page.last;
      if (page.done || page.changes.length === 0) break;
    }
    return created;
  }

  /** Polls on a node-cron schedule (with seconds field). Overlapping ticks share one poll. */
  start(schedule: string): void {
    if (this.task) return;
    this.task = cron.schedule(schedule, () => {
      this.poll().catch((err: unknown) => {
        const e = toRadzError(err);
        this.options.logger.warn(
          { code: e.code, err: e.message },
          "change feed poll failed; will retry next tick",
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
