/**
 * Runs queued jobs through a StudyProcessor with bounded concurrency.
 * Decides the job's next state from the error's class (transient → retry with
 * backoff until maxAttempts; permanent → failed; NO_ELIGIBLE_IMAGES → skipped),
 * never from message text. Survives any error a processor throws.
 */
import { RadzError, toRadzError } from "../errors.js";
import { backoffDelay, type Job, type JobResult, type JobStore } from "../jobs/index.js";
import type { Logger } from "../observability/index.js";

export interface StudyProcessor {
  (job: Job, signal: AbortSignal): Promise<JobResult>;
}

export interface JobRunnerOptions {
  store: JobStore;
  process: StudyProcessor;
  logger: Logger;
  concurrency: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Longest sleep between store checks when nothing wakes the runner. */
  idlePollMs?: number;
  now?: () => number;
  /** Observes every finished attempt (metrics, SSE, tests). */
  onSettled?: (job: Job) => void;
}

export class JobRunner {
  private active = 0;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly now: () => number;

  constructor(private readonly o: JobRunnerOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const recovered = this.o.store.requeueRunning();
    if (recovered > 0)
      this.o.logger.warn({ recovered }, "requeued jobs left running by a previous process");
    this.wake();
  }

  /** Check the store now (call after enqueueing). */
  wake(): void {
    if (this.stopped) return;
    while (this.active < this.o.concurrency) {
      const job = this.o.store.claimNext(this.now());
      if (!job) break;
      this.active++;
      const p = this.run(job).finally(() => {
        this.active--;
        this.inFlight.delete(p);
        this.wake();
      });
      this.inFlight.add(p);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stopped) return;
    const idle = this.o.idlePollMs ?? 1_000;
    const next = this.o.store.nextWakeUp();
    const delay = next === null ? idle : Math.min(idle, Math.max(10, next - this.now()));
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  private async run(job: Job): Promise<void> {
    const log = this.o.logger.child({
      jobId: job.id,
      study: job.orthancStudyId,
      attempt: job.attempts,
    });
    const started = this.now();
    let settled: Job;
    try {
      const result = await this.o.process(job, this.abort.signal);
      settled = this.o.store.complete(job.id, result);
      log.info(
        {
          priority: result.priority,
          ms: this.now() - started,
          positives: result.findings.filter((f) => f.positive).length,
        },
        "study done",
      );
    } catch (err) {
      const e = toRadzError(err);
      const error = { code: e.code, message: e.message };
      if (e.code === "NO_ELIGIBLE_IMAGES") {
        settled = this.o.store.skip(job.id, e.message, error);
        log.info({ code: e.code }, "study skipped");
      } else if (e.transient && job.attempts < this.o.maxAttempts && !this.stopped) {
        const retryAt =
          this.now() + backoffDelay(job.attempts, this.o.backoffBaseMs, this.o.backoffMaxMs);
        settled = this.o.store.retryLater(job.id, error, retryAt);
        log.warn(
          { code: e.code, err: e.message, retryInMs: retryAt - this.now() },
          "study attempt failed; will retry",
        );
      } else if (e.transient && this.stopped) {
        settled = this.o.store.retryLater(job.id, error, 0);
        log.info({ code: e.code }, "study interrupted by shutdown; returned to queue");
      } else {
        settled = this.o.store.fail(job.id, error);
        log.error({ code: e.code, err: e.message, attempts: job.attempts }, "study failed");
      }
    }
    this.o.onSettled?.(settled);
  }

  /** Running jobs + queued jobs that are due now. */
  get busy(): boolean {
    return this.active > 0;
  }

  /**
   * Stops claiming, aborts in-flight work after `deadlineMs`, waits for it, and
   * leaves whatever did not finish as queued for the next start.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const all = Promise.allSettled([...this.inFlight]);
    const timeout = new Promise<void>((r) => setTimeout(r, deadlineMs).unref());
    await Promise.race([all, timeout]);
    if (this.inFlight.size > 0) {
      this.abort.abort(new RadzError("INTERNAL", "shutdown deadline reached"));
      await Promise.race([all, new Promise<void>((r) => setTimeout(r, 2_000).unref())]);
    }
    this.o.store.requeueRunning();
  }
}
