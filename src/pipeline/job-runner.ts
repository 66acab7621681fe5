/**
 * Runs queued jobs through a StudyProcessor with bounded concurrency.
 * Decides the job's next state from the error's class (transient → retry with
 * backoff until maxAttempts; permanent → failed; NO_ELIGIBLE_IMAGES → skipped),
 * never from message text. Survives any error a processor throws.
 *
 * - A server's Retry-After (429/503, `details.retryAfterMs`) is honoured: the
 *   next attempt waits max(backoff, Retry-After), Retry-After capped at
 *   `maxRetryAfterMs` (default one hour).
 * - PACS outage: when an attempt fails with an Orthanc/DICOMweb transport
 *   error and `outageProbe` says the PACS is down, the attempt is not counted
 *   (the study is not at fault), the runner stops claiming work and probes
 *   with backoff until the PACS answers again, then resumes. An outage of any
 *   length therefore never exhausts a study's attempts.
 * - stop(deadline): stops claiming, lets in-flight work finish until the
 *   deadline, then aborts it (JOB_INTERRUPTED) and returns it to queued.
 * See docs/reliability.md.
 */
import { RadzError, retryAfterMs, toRadzError, type ErrorCode } from "../errors.js";
import { backoffDelay, type Job, type JobResult, type JobStore } from "../jobs/index.js";
import type { Logger } from "../observability/index.js";

export interface StudyProcessor {
  (job: Job, signal: AbortSignal): Promise<JobResult>;
}

/** Transient codes that can mean "the PACS is down" (confirmed by the probe before an attempt is refunded). */
export const OUTAGE_CANDIDATE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "ORTHANC_UNREACHABLE",
  "ORTHANC_TIMEOUT",
  "ORTHANC_HTTP_ERROR",
  "DICOMWEB_UNREACHABLE",
  "DICOMWEB_TIMEOUT",
  "DICOMWEB_HTTP_ERROR",
  "STOW_FAILED",
]);

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
  /** Longest Retry-After honoured (default 3 600 000 ms); a longer one is cut to this. */
  maxRetryAfterMs?: number;
  /** Jitter source for backoff (tests). */
  random?: () => number;
  /** Observes every finished attempt (metrics, SSE, tests). */
  onSettled?: (job: Job) => void;
  /**
   * Resolves true when the PACS answers (e.g. Orthanc GET /system with a short
   * timeout). Without it every failed attempt counts.
   */
  outageProbe?: () => Promise<boolean>;
  /** First and longest wait between outage probes (default 1 000 / 10 000 ms). */
  outageProbeMinMs?: number;
  outageProbeMaxMs?: number;
}

/** What the runner decided for one attempt: the store change and its log line. */
interface Decision {
  apply: () => Job;
  log: (settled: Job) => void;
}

export class JobRunner {
  private active = 0;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private abort = new AbortController();
  private readonly now: () => number;
  private outage: { since: number; delay: number; timer: NodeJS.Timeout | null } | null = null;
  private probing: Promise<boolean> | null = null;

  constructor(private readonly o: JobRunnerOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    const crashed = this.o.store
      .list({ state: "running", limit: 1000 })
      .filter((j) => j.attempts >= this.o.maxAttempts);
    const recovered = this.o.store.requeueRunning({
      failAtAttempts: this.o.maxAttempts,
      error: {
        code: "JOB_CRASHED",
        message: `the service stopped while processing this study on each of its ${this.o.maxAttempts} attempts`,
      },
    });
    for (const j of crashed)
      this.o.logger.error(
        { jobId: j.id, study: j.orthancStudyId, attempts: j.attempts, code: "JOB_CRASHED" },
        "study failed: the service died on every attempt",
      );
    if (recovered > 0)
      this.o.logger.warn({ recovered }, "requeued jobs left running by a previous process");
    this.wake();
  }

  /** True while the runner is paused because the PACS is down. */
  get pausedForOutage(): boolean {
    return this.outage !== null;
  }

  /** Check the store now (call after enqueueing). */
  wake(): void {
    if (this.stopped || this.outage) return;
    while (this.active < this.o.concurrency && !this.outage) {
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
    if (this.stopped || this.outage) return;
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
    let decision: Decision;
    try {
      const result = await this.o.process(job, this.abort.signal);
      decision = {
        apply: () => this.o.store.complete(job.id, result),
        log: () =>
          log.info(
            {
              priority: result.priority,
              ms: this.now() - started,
              positives: result.findings.filter((f) => f.positive).length,
            },
            "study done",
          ),
      };
    } catch (err) {
      decision = await this.decide(job, toRadzError(err), log);
    }
    let settled: Job;
    try {
      settled = decision.apply();
    } catch (err) {
      // The job is no longer ours (shutdown returned it to queued) or the store
      // is closing: leave it as the store has it; crash recovery requeues a
      // job left running.
      const e = toRadzError(err);
      log.warn({ code: e.code, err: e.message }, "could not record the attempt's outcome");
      return;
    }
    decision.log(settled);
    try {
      this.o.onSettled?.(settled);
    } catch (err) {
      log.warn({ err: toRadzError(err).message }, "onSettled observer failed");
    }
  }

  private async decide(job: Job, e: RadzError, log: Logger): Promise<Decision> {
    const { store } = this.o;
    const error = { code: e.code, message: e.message };
    if (e.code === "NO_ELIGIBLE_IMAGES") {
      return {
        apply: () => store.skip(job.id, e.message, error),
        log: () => log.info({ code: e.code }, "study skipped"),
      };
    }
    if (e.transient && this.stopped) {
      return {
        apply: () => store.retryLater(job.id, error, 0, { countAttempt: false }),
        log: () => log.info({ code: e.code }, "study interrupted by shutdown; returned to queue"),
      };
    }
    if (e.transient && OUTAGE_CANDIDATE_CODES.has(e.code) && (await this.pacsDown(e))) {
      return {
        apply: () => store.retryLater(job.id, error, 0, { countAttempt: false }),
        log: () =>
          log.info({ code: e.code }, "PACS unreachable; attempt not counted, study waits in queue"),
      };
    }
    if (e.transient && job.attempts < this.o.maxAttempts) {
      const backoff = backoffDelay(
        job.attempts,
        this.o.backoffBaseMs,
        this.o.backoffMaxMs,
        this.o.random,
      );
      const asked = retryAfterMs(e);
      const delay = Math.max(backoff, Math.min(asked ?? 0, this.o.maxRetryAfterMs ?? 3_600_000));
      const retryAt = this.now() + delay;
      return {
        apply: () => store.retryLater(job.id, error, retryAt),
        log: () =>
          log.warn(
            { code: e.code, err: e.message, retryInMs: delay, retryAfterMs: asked },
            "study attempt failed; will retry",
          ),
      };
    }
    return {
      apply: () => store.fail(job.id, error),
      log: () =>
        log.error({ code: e.code, err: e.message, attempts: job.attempts }, "study failed"),
    };
  }

  /** True when the PACS is down (an outage is already declared, or the probe fails now). */
  private async pacsDown(e: RadzError): Promise<boolean> {
    const probe = this.o.outageProbe;
    if (!probe) return false;
    if (this.outage) return true;
    this.probing ??= probe()
      .catch(() => false)
      .finally(() => {
        this.probing = null;
      });
    const up = await this.probing;
    if (up) return false;
    this.enterOutage(e);
    return true;
  }

  private enterOutage(e: RadzError): void {
    if (this.outage || this.stopped) return;
    const min = this.o.outageProbeMinMs ?? 1_000;
    this.outage = { since: this.now(), delay: min, timer: null };
    if (this.timer) clearTimeout(this.timer);
    this.o.logger.warn(
      { code: e.code, err: e.message },
      "PACS unreachable; pausing the job runner until it answers again",
    );
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    const outage = this.outage;
    if (!outage || this.stopped) return;
    outage.timer = setTimeout(() => {
      void this.probeOnce();
    }, outage.delay);
    outage.timer.unref();
  }

  private async probeOnce(): Promise<void> {
    const outage = this.outage;
    const probe = this.o.outageProbe;
    if (!outage || !probe || this.stopped) return;
    const up = await probe().catch(() => false);
    if (this.stopped || this.outage !== outage) return;
    if (up) {
      this.outage = null;
      this.o.logger.info(
        { downForMs: this.now() - outage.since },
        "PACS answers again; resuming the job runner",
      );
      this.wake();
      return;
    }
    outage.delay = Math.min(outage.delay * 2, this.o.outageProbeMaxMs ?? 10_000);
    this.scheduleProbe();
  }

  /** Running jobs + queued jobs that are due now. */
  get busy(): boolean {
    return this.active > 0;
  }

  /**
   * Stops claiming, lets in-flight work finish until `deadlineMs`, then aborts
   * it (JOB_INTERRUPTED), waits briefly, and leaves whatever did not finish as
   * queued for the next start.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.outage?.timer) clearTimeout(this.outage.timer);
    this.outage = null;
    const all = Promise.allSettled([...this.inFlight]);
    let deadline: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => {
      deadline = setTimeout(r, deadlineMs);
      deadline.unref();
    });
    await Promise.race([all, timeout]);
    clearTimeout(deadline);
    if (this.inFlight.size > 0) {
      this.o.logger.warn(
        { inFlight: this.inFlight.size, deadlineMs },
        "shutdown deadline reached; interrupting in-flight studies",
      );
      this.abort.abort(new RadzError("JOB_INTERRUPTED", "shutdown deadline reached"));
      await Promise.race([all, new Promise<void>((r) => setTimeout(r, 2_000).unref())]);
    }
    const returned = this.o.store.requeueRunning();
    if (returned > 0) this.o.logger.info({ returned }, "unfinished studies returned to queued");
  }
}
