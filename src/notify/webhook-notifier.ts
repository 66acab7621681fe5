/**
 * Outbound notifications: a signed JSON POST to `notify.webhookUrl` (the hook
 * for RIS / worklist systems) when a study is flagged urgent (`study.urgent`)
 * and when a label's score distribution drifts past drift.alertLevel
 * (`drift.alert`, docs/drift.md). Every
 * notification is recorded first (NotificationLog), then delivered; failed
 * attempts are retried with exponential backoff until `maxAttempts`, and
 * pending ones resume after a restart. The receiver sees the same body (and
 * event id) on every attempt, with a fresh timestamp and signature.
 *
 * The body carries Orthanc IDs, UIDs and scores, never patient attributes.
 */
import { randomUUID } from "node:crypto";
import { RadzError } from "../errors.js";
import { backoffDelay, type Job } from "../jobs/index.js";
import type { DriftAlert } from "../drift/index.js";
import type { Logger } from "../observability/index.js";
import { DISCARD_MAX_BYTES, readBytesLimited, ResponseTooLargeError } from "../security/index.js";
import type { NotificationLog, NotificationRecord } from "./notification-log.js";
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signWebhook,
} from "./signature.js";

export const URGENT_EVENT = "study.urgent";
export const DRIFT_EVENT = "drift.alert";

export type WebhookFetch = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body: string;
    signal: AbortSignal;
    redirect: "manual";
  },
) => Promise<Response>;

export interface WebhookNotifierOptions {
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly log: NotificationLog;
  readonly logger: Logger;
  /** Links added to the payload (e.g. the worklist and Orthanc Explorer URLs). */
  readonly links?: (job: Job) => Record<string, string | null>;
  readonly userAgent?: string;
  readonly fetch?: WebhookFetch;
  readonly now?: () => number;
  /** Called after each attempt (tests, SSE). */
  readonly onAttempt?: (record: NotificationRecord) => void;
}

/** The JSON body of a study.urgent notification. */
export interface UrgentStudyPayload {
  readonly id: string;
  readonly event: typeof URGENT_EVENT;
  readonly occurredAt: string;
  readonly study: {
    readonly orthancStudyId: string;
    readonly studyInstanceUID: string | null;
    readonly priority: string;
    readonly triageScore: number;
    readonly findings: readonly {
      readonly labelId: string;
      readonly display: string;
      readonly probability: number;
      readonly threshold: number;
    }[];
    readonly sr: { readonly sopInstanceUid: string; readonly seriesInstanceUid: string } | null;
    readonly model: { readonly id: string; readonly version: string } | null;
  };
  readonly links: Record<string, string | null>;
  readonly disclaimer: string;
}

/** The JSON body of a drift.alert notification (no PHI: label, PSI, the model's identity). */
export interface DriftAlertPayload {
  readonly id: string;
  readonly event: typeof DRIFT_EVENT;
  readonly occurredAt: string;
  readonly drift: {
    readonly labelId: string;
    readonly display: string;
    readonly statistic: "psi";
    readonly psi: number;
    readonly alertLevel: number;
    /** The label-set hash the reference window belongs to. */
    readonly referenceKey: string;
    readonly referenceStudies: number;
    readonly windowStudies: number;
    /** The study whose result made the label cross. */
    readonly orthancStudyId: string;
  };
  readonly disclaimer: string;
}

export class WebhookNotifier {
  readonly #o: WebhookNotifierOptions;
  readonly #now: () => number;
  readonly #fetch: WebhookFetch;
  #timer: NodeJS.Timeout | null = null;
  #pumping: Promise<void> | null = null;
  #again = false;
  #stopped = true;

  constructor(options: WebhookNotifierOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  /** Starts delivering (including notifications left pending by a previous run). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#kick();
  }

  /** Stops scheduling and waits for the attempt in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#pumping;
  }

  /**
   * Observes a settled job (JobRunner onSettled): a done job with priority
   * urgent gets a notification. Returns it, or null when none is due.
   */
  onSettled(job: Job): NotificationRecord | null {
    if (job.state !== "done" || job.result?.priority !== "urgent") return null;
    let payload: UrgentStudyPayload;
    try {
      payload = this.payload(job);
    } catch (err) {
      this.#o.logger.error(
        { study: job.orthancStudyId, err: (err as Error).message },
        "could not record an urgent-study notification",
      );
      return null;
    }
    return this.#record(URGENT_EVENT, job.id, job.orthancStudyId, payload);
  }

  /**
   * Records a drift alert (DriftMonitor onAlert) for delivery, against the
   * study whose result made the label cross. Returns it, or null when it could not be recorded.
   */
  onDriftAlert(alert: DriftAlert): NotificationRecord | null {
    const payload: DriftAlertPayload = {
      id: randomUUID(),
      event: DRIFT_EVENT,
      occurredAt: new Date(this.#now()).toISOString(),
      drift: {
        labelId: alert.label,
        display: alert.display,
        statistic: "psi",
        psi: alert.psi,
        alertLevel: alert.alertLevel,
        referenceKey: alert.referenceKey,
        referenceStudies: alert.referenceSize,
        windowStudies: alert.windowSize,
        orthancStudyId: alert.job.orthancStudyId,
      },
      disclaimer: "Machine-generated, unverified; not for clinical use.",
    };
    return this.#record(DRIFT_EVENT, alert.job.id, alert.job.orthancStudyId, payload);
  }

  #record(
    event: string,
    jobId: number,
    orthancStudyId: string,
    payload: { readonly id: string },
  ): NotificationRecord | null {
    try {
      const record = this.#o.log.create({
        eventId: payload.id,
        event,
        jobId,
        orthancStudyId,
        body: JSON.stringify(payload),
      });
      this.#kick();
      return record;
    } catch (err) {
      // Never let a notification problem disturb the job runner.
      this.#o.logger.error(
        { study: orthancStudyId, event, err: (err as Error).message },
        "could not record a notification",
      );
      return null;
    }
  }

  payload(job: Job): UrgentStudyPayload {
    const r = job.result;
    return {
      id: randomUUID(),
      event: URGENT_EVENT,
      occurredAt: new Date(this.#now()).toISOString(),
      study: {
        orthancStudyId: job.orthancStudyId,
        studyInstanceUID: r?.studyInstanceUid ?? job.studyInstanceUid,
        priority: r?.priority ?? "routine",
        triageScore: r?.triageScore ?? 0,
        findings: (r?.findings ?? [])
          .filter((f) => f.positive)
          .sort((a, b) => b.probability - a.probability)
          .map((f) => ({
            labelId: f.labelId,
            display: f.display,
            probability: f.probability,
            threshold: f.threshold,
          })),
        sr: r?.sr ?? null,
        model: r ? { id: r.model.id, version: r.model.version } : null,
      },
      links: this.#o.links?.(job) ?? {},
      disclaimer: "Machine-generated, unverified; not for clinical use.",
    };
  }

  /** Runs a delivery pass now (or right after the one in flight). */
  #kick(): void {
    if (this.#stopped) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pumping = this.#pump()
      .catch((err: unknown) => {
        this.#o.logger.error({ err: (err as Error).message }, "notification delivery pass failed");
      })
      .finally(() => {
        this.#pumping = null;
        if (this.#again) {
          this.#again = false;
          this.#kick();
        } else {
          this.#schedule();
        }
      });
  }

  #schedule(): void {
    if (this.#stopped) return;
    const next = this.#o.log.nextDue();
    if (next === null) return;
    const delay = Math.max(0, Math.min(next - this.#now(), 2_147_000_000));
    this.#timer = setTimeout(() => this.#kick(), delay);
    this.#timer.unref();
  }

  async #pump(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const due = this.#o.log.due(this.#now(), 10);
      if (due.length === 0) return;
      for (const n of due) {
        if (this.#stopped) return;
        const record = await this.#deliver(n);
        this.#o.onAttempt?.(record);
      }
    }
  }

  async #deliver(n: NotificationRecord): Promise<NotificationRecord> {
    const body = this.#o.log.body(n.id);
    const timestamp = Math.floor(this.#now() / 1000);
    let status: number | null = null;
    let error: RadzError;
    try {
      const res = await this.#fetch(this.#o.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "User-Agent": this.#o.userAgent ?? "RadZ",
          [EVENT_HEADER]: n.event,
          [DELIVERY_HEADER]: n.eventId,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(this.#o.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
        redirect: "manual",
      });
      status = res.status;
      // Only the status matters; the receiver's answer is read within a small cap (the bounded reader).
      await readBytesLimited(res, DISCARD_MAX_BYTES).catch((err: unknown) => {
        if (!(err instanceof ResponseTooLargeError)) return; // a body that breaks off: the status stands
        throw new RadzError(
          "NOTIFY_RESPONSE_TOO_LARGE",
          `the webhook receiver answered with more than ${DISCARD_MAX_BYTES} bytes`,
          { details: { maxBytes: DISCARD_MAX_BYTES } },
        );
      });
      if (res.ok) {
        const done = this.#o.log.delivered(n.id, res.status);
        this.#o.logger.info(
          { notification: n.id, event: n.event, study: n.orthancStudyId, attempts: done.attempts },
          "webhook notification delivered",
        );
        return done;
      }
      error = new RadzError("NOTIFY_DELIVERY_FAILED", `webhook answered HTTP ${res.status}`);
    } catch (err) {
      error =
        err instanceof RadzError
          ? err
          : new RadzError("NOTIFY_DELIVERY_FAILED", `webhook request failed: ${describe(err)}`, {
              cause: err,
            });
    }
    const attempt = n.attempts + 1;
    const retryAt =
      attempt < this.#o.maxAttempts
        ? this.#now() + backoffDelay(attempt, this.#o.backoffBaseMs, this.#o.backoffMaxMs)
        : null;
    const record = this.#o.log.attemptFailed(n.id, status, error.toJSON(), retryAt);
    const fields = { notification: n.id, event: n.event, study: n.orthancStudyId, attempt, status };
    if (retryAt === null) {
      this.#o.logger.error({ ...fields, err: error.message }, "webhook notification failed");
    } else {
      this.#o.logger.warn(
        { ...fields, err: error.message, retryInMs: retryAt - this.#now() },
        "webhook notification attempt failed; will retry",
      );
    }
    return record;
  }
}

/** "timeout", "ECONNREFUSED", ... without URLs or bodies. */
function describe(err: unknown): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return "timeout";
  }
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = e.cause;
  }
  return err instanceof Error ? err.message.slice(0, 200) : "unknown error";
}
