/**
 * Prometheus metrics (prom-client), one Registry per service instance (no
 * global default registry, so tests and several services in one process do
 * not share counters). Served at GET /metrics.
 *
 * Label values come from fixed sets only — job states, pipeline stage names,
 * error codes from the catalogue, execution provider, bundle identity and its label ids —
 * never Orthanc IDs, UIDs or patient attributes, so no PHI and no unbounded
 * cardinality can reach a scrape.
 *
 * Series (all prefixed radz_):
 *   jobs{state}                          gauge, from the job store at scrape
 *   queue_depth                          gauge, queued jobs at scrape
 *   jobs_settled_total{outcome}          counter: done | skipped | failed | retry
 *   job_errors_total{code}               counter, every failed attempt by error code
 *   orthanc_errors_total{code}           counter: Orthanc REST errors (feed, jobs)
 *   dicomweb_errors_total{code}          counter: DICOMweb / STOW errors (jobs)
 *   stage_duration_seconds{stage}        histogram, from JobResult.timings
 *   study_duration_seconds{outcome}      histogram, claim to settle
 *   inference_batch_size                 histogram, images per model run
 *   execution_provider_info{provider,bundle_id,bundle_version}  gauge = 1
 *   orthanc_up                           gauge: 1 when the last Orthanc contact succeeded
 *   orthanc_last_contact_timestamp_seconds gauge
 *   change_feed_cursor                   gauge, the durable /changes cursor
 *   change_feed_lag_seconds              gauge, time since the feed last reached Orthanc's newest change
 *   change_feed_polls_total{result}      counter: ok | error
 *   webhook_requests_total{outcome}      counter
 *   drift_psi{label}                     gauge, PSI of the label's current window vs its reference
 *                                        (docs/drift.md; absent while the windows are too small)
 *   drift_alerts_total{label}            counter, drift alerts raised (once per crossing)
 *   build_info{version}                  gauge = 1
 * plus prom-client's default process/Node.js metrics.
 */
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type Gauge as GaugeType,
} from "prom-client";

/** The fields of a settled job that metrics read (structural: jobs/ is not imported here). */
export interface SettledJobLike {
  readonly state: string;
  readonly lastError: { readonly code: string } | null;
  readonly result: { readonly timings: Readonly<Record<string, number>> } | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly updatedAt: number;
}

export interface MetricsSources {
  /** Jobs per state (JobStore.countByState). */
  countByState(): Record<string, number>;
  /** The change-feed cursor, or null before the first poll. */
  feedCursor?(): number | null;
  /** The drift monitor's last PSI per label id (labels still collecting are absent). */
  driftPsi?(): ReadonlyMap<string, number>;
}

export interface ServiceMetricsOptions {
  readonly sources: MetricsSources;
  readonly version: string;
  /** Also collect prom-client's default process metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** Epoch ms (tests). */
  readonly now?: () => number;
}

/** Pipeline stages are code-defined names; anything else is folded into "other". */
const STAGE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
/** Model label ids (config: lower_snake_case). */
const LABEL_ID = /^[a-z][a-z0-9_]{0,63}$/;

function safeLabel(value: string, pattern: RegExp, fallback: string): string {
  return pattern.test(value) ? value : fallback;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly now: () => number;
  private lastDrainedAt: number | null = null;
  private lastOrthancContact: { at: number; ok: boolean } | null = null;

  private readonly settled: Counter<"outcome">;
  private readonly jobErrors: Counter<"code">;
  private readonly orthancErrors: Counter<"code">;
  private readonly dicomwebErrors: Counter<"code">;
  private readonly stageDuration: Histogram<"stage">;
  private readonly studyDuration: Histogram<"outcome">;
  private readonly batchSize: Histogram;
  private readonly providerInfo: GaugeType<"provider" | "bundle_id" | "bundle_version">;
  private readonly polls: Counter<"result">;
  private readonly webhook: Counter<"outcome">;
  private readonly driftAlerts: Counter<"label">;

  constructor(private readonly options: ServiceMetricsOptions) {
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    const { sources } = options;

    new Gauge({
      name: "radz_build_info",
      help: "RadZ version running (value 1).",
      labelNames: ["version"],
      registers,
    }).set({ version: options.version }, 1);

    new Gauge({
      name: "radz_jobs",
      help: "Jobs in the job store by state.",
      labelNames: ["state"],
      registers,
      collect() {
        this.reset();
        for (const [state, n] of Object.entries(sources.countByState())) {
          this.set({ state: safeLabel(state, STAGE_NAME, "other") }, n);
        }
      },
    });
    new Gauge({
      name: "radz_queue_depth",
      help: "Jobs waiting to be processed (state queued, including those waiting for a retry).",
      registers,
      collect() {
        this.set(sources.countByState().queued ?? 0);
      },
    });
    this.settled = new Counter({
      name: "radz_jobs_settled_total",
      help: "Finished job attempts by outcome (done, skipped, failed, retry).",
      labelNames: ["outcome"],
      registers,
    });
    this.jobErrors = new Counter({
      name: "radz_job_errors_total",
      help: "Failed job attempts by error code (docs/errors.md).",
      labelNames: ["code"],
      registers,
    });
    this.orthancErrors = new Counter({
      name: "radz_orthanc_errors_total",
      help: "Orthanc REST errors by error code, from the change feed and from jobs.",
      labelNames: ["code"],
      registers,
    });
    this.dicomwebErrors = new Counter({
      name: "radz_dicomweb_errors_total",
      help: "DICOMweb (QIDO/WADO/STOW) errors of jobs by error code.",
      labelNames: ["code"],
      registers,
    });
    this.stageDuration = new Histogram({
      name: "radz_stage_duration_seconds",
      help: "Time spent per pipeline stage of a finished study (qido, wado, decode, preprocess, inference, srBuild, stow, ...).",
      labelNames: ["stage"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.studyDuration = new Histogram({
      name: "radz_study_duration_seconds",
      help: "Time from claiming a study to settling it, by outcome.",
      labelNames: ["outcome"],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.batchSize = new Histogram({
      name: "radz_inference_batch_size",
      help: "Images per image-encoder run.",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    });
    this.providerInfo = new Gauge({
      name: "radz_execution_provider_info",
      help: "Execution provider and model bundle in use (value 1).",
      labelNames: ["provider", "bundle_id", "bundle_version"],
      registers,
    });
    const contact = () => this.lastOrthancContact;
    const drainedAt = () => this.lastDrainedAt;
    const now = this.now;
    new Gauge({
      name: "radz_orthanc_up",
      help: "1 when RadZ's last request to Orthanc succeeded, 0 when it failed or none was made yet.",
      registers,
      collect() {
        this.set(contact()?.ok === true ? 1 : 0);
      },
    });
    new Gauge({
      name: "radz_orthanc_last_contact_timestamp_seconds",
      help: "When RadZ last got an answer from Orthanc (Unix time; 0 = never).",
      registers,
      collect() {
        const c = contact();
        this.set(c?.ok === true ? c.at / 1000 : 0);
      },
    });
    new Gauge({
      name: "radz_change_feed_cursor",
      help: "The durable /changes cursor (Orthanc change sequence number; -1 before the first poll).",
      registers,
      collect() {
        this.set(sources.feedCursor?.() ?? -1);
      },
    });
    new Gauge({
      name: "radz_change_feed_lag_seconds",
      help: "Seconds since the change feed last read up to Orthanc's newest change (-1: not yet, or polling off).",
      registers,
      collect() {
        const at = drainedAt();
        this.set(at === null ? -1 : (now() - at) / 1000);
      },
    });
    this.polls = new Counter({
      name: "radz_change_feed_polls_total",
      help: "Requests of the change feed to Orthanc's /changes by result.",
      labelNames: ["result"],
      registers,
    });
    this.webhook = new Counter({
      name: "radz_webhook_requests_total",
      help: "Pushes to POST /webhook/orthanc by outcome (accepted, duplicate, unauthorized, invalid, disabled).",
      labelNames: ["outcome"],
      registers,
    });
    new Gauge({
      name: "radz_drift_psi",
      help: "Population Stability Index of each label's calibrated probabilities in the current window against the reference window (docs/drift.md); absent until both are big enough.",
      labelNames: ["label"],
      registers,
      collect() {
        this.reset();
        for (const [label, psi] of sources.driftPsi?.() ?? []) {
          this.set({ label: safeLabel(label, LABEL_ID, "other") }, psi);
        }
      },
    });
    this.driftAlerts = new Counter({
      name: "radz_drift_alerts_total",
      help: "Drift alerts raised by label (a label's PSI crossed drift.alertLevel; once per crossing).",
      labelNames: ["label"],
      registers,
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Observes a job attempt as the runner settles it (JobRunner onSettled). */
  jobSettled(job: SettledJobLike): void {
    const outcome =
      job.state === "done" || job.state === "skipped" || job.state === "failed"
        ? job.state
        : "retry";
    this.settled.inc({ outcome });
    const code = job.lastError?.code;
    if (outcome !== "done" && code !== undefined) {
      // A skip records NO_ELIGIBLE_IMAGES as its reason: counted as an outcome, not an error.
      if (outcome !== "skipped") this.jobErrors.inc({ code: safeLabel(code, ERROR_CODE, "OTHER") });
      this.countServiceError(code);
    }
    if (outcome === "done" && job.result) {
      for (const [stage, ms] of Object.entries(job.result.timings)) {
        if (Number.isFinite(ms) && ms >= 0) {
          this.stageDuration.observe({ stage: safeLabel(stage, STAGE_NAME, "other") }, ms / 1000);
        }
      }
    }
    if (job.startedAt !== null) {
      const end = job.finishedAt ?? job.updatedAt;
      if (end >= job.startedAt)
        this.studyDuration.observe({ outcome }, (end - job.startedAt) / 1000);
    }
  }

  /** Counts an Orthanc / DICOMweb error code under its series (others are ignored here). */
  countServiceError(code: string): void {
    const c = safeLabel(code, ERROR_CODE, "OTHER");
    if (c.startsWith("ORTHANC_")) {
      this.orthancErrors.inc({ code: c });
      this.orthancContact(false);
    } else if (c.startsWith("DICOMWEB_") || c === "STOW_FAILED") {
      this.dicomwebErrors.inc({ code: c });
    }
  }

  /** Records the outcome of a request to Orthanc (readiness, radz_orthanc_up). */
  orthancContact(ok: boolean): void {
    this.lastOrthancContact = { at: this.now(), ok };
  }

  /** When Orthanc last answered (epoch ms), or null. */
  get lastOrthancSuccessAt(): number | null {
    const c = this.lastOrthancContact;
    return c?.ok === true ? c.at : null;
  }

  /** A change-feed page was read; `done` = the feed reached Orthanc's newest change. */
  feedPolled(done: boolean): void {
    this.polls.inc({ result: "ok" });
    this.orthancContact(true);
    if (done) this.lastDrainedAt = this.now();
  }

  feedFailed(code: string): void {
    this.polls.inc({ result: "error" });
    this.countServiceError(code);
  }

  observeBatch(size: number): void {
    if (Number.isFinite(size) && size >= 0) this.batchSize.observe(size);
  }

  setModel(identity: { id: string; version: string; executionProvider: string }): void {
    this.providerInfo.reset();
    this.providerInfo.set(
      {
        provider: identity.executionProvider,
        bundle_id: identity.id,
        bundle_version: identity.version,
      },
      1,
    );
  }

  driftAlert(label: string): void {
    this.driftAlerts.inc({ label: safeLabel(label, LABEL_ID, "other") });
  }

  webhookRequest(outcome: string): void {
    this.webhook.inc({ outcome: safeLabel(outcome, STAGE_NAME, "other") });
  }

  /** The Prometheus text exposition. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The part of an Orthanc change source the metrics wrapper needs. */
export interface ObservableChangeSource<P extends { done: boolean }> {
  changes(since: number, limit: number): Promise<P>;
  lastChange(): Promise<number>;
}

/**
 * Wraps a change source so each /changes request feeds the metrics
 * (polls, feed lag, Orthanc reachability, Orthanc errors by code).
 */
export function observeChangeSource<P extends { done: boolean }>(
  source: ObservableChangeSource<P>,
  metrics: ServiceMetrics,
  errorCode: (err: unknown) => string,
): ObservableChangeSource<P> {
  return {
    changes: async (since, limit) => {
      try {
        const page = await source.changes(since, limit);
        metrics.feedPolled(page.done);
        return page;
      } catch (err) {
        metrics.feedFailed(errorCode(err));
        throw err;
      }
    },
    lastChange: async () => {
      try {
        const last = await source.lastChange();
        metrics.orthancContact(true);
        return last;
      } catch (err) {
        metrics.feedFailed(errorCode(err));
        throw err;
      }
    },
  };
}

/**
 * The same model object, with each scoreImages call's batch size observed.
 * A Proxy, so the model's other members and its identity are untouched.
 */
export function observeBatchSizes<
  M extends { scoreImages(inputs: readonly Float32Array[]): Promise<unknown> },
>(model: M, metrics: ServiceMetrics): M {
  return new Proxy(model, {
    get(target, prop) {
      if (prop === "scoreImages") {
        return (inputs: readonly Float32Array[]) => {
          metrics.observeBatch(inputs.length);
          return target.scoreImages(inputs);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function"
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
