/**
 * The single composition root: builds every part from the validated config and
 * pairs each start with a stop (in reverse order). No part imports this file
 * and no part keeps a global singleton.
 */
import { dicomwebUrl, type Config } from "./config/index.js";
import { DicomWebClient } from "./dicomweb/index.js";
import { DriftMonitor, DriftStore } from "./drift/index.js";
import { toRadzError } from "./errors.js";
import { studyFlaggerFromConfig, unknownTriageLabels } from "./flags/index.js";
import {
  createApi,
  createWebhookRouter,
  EventBus,
  linkOptionsFromConfig,
  orthancPreviewSource,
  studyLinks,
} from "./http/index.js";
import { initCodecs } from "./imaging/index.js";
import {
  CHANGES_CURSOR,
  Intake,
  type ChangeFeed,
  type ReconciliationSweep,
  type ReprocessCheck,
} from "./intake/index.js";
import { SqliteJobStore, type JobStore } from "./jobs/index.js";
import {
  bindBackend,
  createBatchedModel,
  createInferenceBackend,
  type InferenceBackend,
} from "./inference/index.js";
import { loadModel, modelOptionsFromConfig, type ZeroShotModel } from "./model/index.js";
import {
  observeChangeSource,
  ReadinessProbe,
  ServiceMetrics,
  type Logger,
} from "./observability/index.js";
import { notifierFromConfig } from "./notify/index.js";
import {
  DICOMWEB_SERIES_METADATA_CACHE_VERSION,
  isVersionAtLeast,
  OrthancClient,
} from "./orthanc/index.js";
import {
  createStudyProcessor,
  DecodePool,
  CoreTurns,
  defaultDecodeThreads,
  JobRunner,
  takesTurns,
} from "./pipeline/index.js";
import { reportUids } from "./report/index.js";
import {
  listenWithLimits,
  outboundFromConfig,
  redactConfig,
  type LimitedListener,
} from "./security/index.js";
import { RADZ_VERSION } from "./version.js";

export interface Service {
  readonly store: JobStore;
  readonly model: ZeroShotModel;
  readonly orthanc: OrthancClient;
  readonly feed: ChangeFeed;
  readonly runner: JobRunner;
  readonly metrics: ServiceMetrics;
  readonly sweep: ReconciliationSweep;
  readonly reprocess: ReprocessCheck;
  /** The API's base URL once started. */
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const READINESS_PROBE_MS = 3_000;

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Test and tooling hooks; production passes none. */
export interface ServiceOptions {
  /** Wraps the loaded model (e.g. mocks/inference.ts injects latency and failures). */
  readonly wrapModel?: (model: ZeroShotModel) => ZeroShotModel;
}

/** How long the job runner's PACS-outage probe waits for Orthanc's GET /system. */
const OUTAGE_PROBE_MS = 5_000;

export async function createService(
  config: Config,
  logger: Logger,
  options: ServiceOptions = {},
): Promise<Service> {
  logger.info({ config: redactConfig(config) }, "configuration (secrets redacted)");
  if (config.http.tokens.length === 0) {
    logger.warn(
      "no API tokens in http.tokens: every API route but /healthz answers 401 (create one with `radz token create`)",
    );
  }
  // The WebAssembly image codecs load once, before anything opens; frame decoding stays synchronous.
  await initCodecs();
  // Credentials and TLS for Orthanc / DICOMweb; TLS files are read and checked here, before anything starts.
  const outbound = outboundFromConfig(config);
  const store = new SqliteJobStore({ path: config.jobs.dbPath });
  let loaded: ZeroShotModel;
  try {
    loaded = await loadModel(
      config.model.bundle,
      // On a thread of its own (model.sessionThread): the event loop keeps transfers,
      // decode hand-offs and write-back going during inference.
      modelOptionsFromConfig(config.model, logger.child({ component: "model" }), {
        sessionThread: config.model.sessionThread,
      }),
    );
  } catch (err) {
    store.close();
    outbound.close();
    throw err;
  }
  // Where image embeddings are computed (inference.backend): this process, or Open Inference
  // Protocol endpoints (radz worker, Triton). Scoring stays here either way (docs/gpu.md).
  let backend: InferenceBackend;
  try {
    backend = await createInferenceBackend(config, loaded, logger);
  } catch (err) {
    await loaded.close();
    store.close();
    outbound.close();
    throw err;
  }
  const remote = backend.describe().kind === "remote";
  const orthanc = new OrthancClient({
    url: config.orthanc.url,
    http: outbound.orthanc,
    timeoutMs: config.orthanc.timeoutMs,
    logger: logger.child({ component: "orthanc" }),
  });
  const dicomweb = new DicomWebClient({
    url: dicomwebUrl(config),
    http: outbound.dicomweb,
    timeoutMs: config.dicomweb.timeoutMs,
    maxInstanceBytes: config.dicomweb.maxInstanceBytes,
    // A series' instances are read from its WADO-RS metadata where Orthanc's
    // DICOMweb plugin caches it (no file reads, no W001), else with QIDO-RS.
    preferSeriesMetadata: async () => {
      const version = await orthanc.dicomWebPluginVersion();
      return version !== null && isVersionAtLeast(version, DICOMWEB_SERIES_METADATA_CACHE_VERSION);
    },
  });
  let drift: DriftMonitor | null = null;
  const metrics = new ServiceMetrics({
    sources: {
      countByState: () => store.countByState(),
      feedCursor: () => store.getCursor(CHANGES_CURSOR),
      driftPsi: () => drift?.psiByLabel() ?? new Map<string, number>(),
    },
    version: RADZ_VERSION,
  });
  // Decoding and the image encoder take turns on the cores where the encoder runs here on the
  // CPU (imaging.yieldToInference; pipeline/core-turns.ts).
  const turns = takesTurns(config.imaging.yieldToInference, {
    remote,
    executionProvider: loaded.identity.executionProvider,
  })
    ? new CoreTurns()
    : null;
  // Images of concurrent studies share image-encoder runs (model.maxBatch, model.maxBatchWaitMs).
  const model = createBatchedModel(remote ? bindBackend(loaded, backend) : loaded, {
    maxBatch: config.model.maxBatch,
    maxWaitMs: config.model.maxBatchWaitMs,
    // Remote: keep every endpoint busy (one batch running, one queued).
    maxInFlight: remote ? 2 * config.inference.endpoints.length : 1,
    onBatch: (b) => metrics.observeBatch(b.size),
    ...(turns ? { turn: <T>(run: () => Promise<T>) => turns.inference(run) } : {}),
  });
  metrics.setModel(model.identity);
  // Worklist (issue 6): live updates, study links, signed webhook when a study is flagged urgent.
  const events = new EventBus({
    onListenerError: (err) => logger.warn({ err: String(err) }, "live-update listener failed"),
  });
  const links = linkOptionsFromConfig(config);
  const notify = notifierFromConfig(config, {
    logger: logger.child({ component: "notify" }),
    links: (job) => {
      const l = studyLinks(job, links);
      return { explorer: l.explorer, viewer: l.viewer };
    },
    userAgent: `RadZ/${RADZ_VERSION}`,
  });
  // Drift (issue 21): per-label PSI of recent scores against a reference window, alerting once
  // per crossing (log, metric, signed webhook event drift.alert); docs/drift.md.
  let driftStore: DriftStore | null = null;
  if (config.drift.enabled && config.jobs.dbPath === ":memory:") {
    logger.warn("drift monitoring is off: it needs a job store file (jobs.dbPath is :memory:)");
  } else if (config.drift.enabled) {
    driftStore = new DriftStore({ path: config.jobs.dbPath });
    const d = config.drift;
    drift = new DriftMonitor({
      store: driftStore,
      settings: {
        referenceSize: d.referenceSize,
        windowSize: d.windowSize,
        minWindowSize: d.minWindowSize,
        bins: d.bins,
        watchLevel: d.watchLevel,
        alertLevel: d.alertLevel,
      },
      referenceKey: model.identity.labelSetHash,
      labels: loaded.labels.map((l) => ({ id: l.id, display: l.display })),
      logger: logger.child({ component: "drift" }),
      onAlert: (alert) => {
        metrics.driftAlert(alert.label);
        notify?.notifier.onDriftAlert(alert);
      },
    });
  }
  for (const label of unknownTriageLabels(
    config,
    loaded.labels.map((l) => l.id),
  )) {
    logger.warn({ label }, "triage.labels names a label the model bundle does not have; ignored");
  }
  // Parse/decode/preprocess on worker threads (imaging.decodeThreads; idle workers never hold the process).
  const decodePool = new DecodePool({
    threads: config.imaging.decodeThreads ?? defaultDecodeThreads(turns !== null),
    // Below the event loop and the model's threads (imaging.decodeNice).
    nice: config.imaging.decodeNice,
    ...(turns ? { turns } : {}),
    logger: logger.child({ component: "decode" }),
    maxBufferBytes: config.dicomweb.maxInstanceBytes,
  });
  logger.info(
    { decodeThreads: decodePool.threads, takesTurns: turns !== null },
    turns
      ? "decode workers and the image encoder take turns on the CPU (imaging.yieldToInference)"
      : "decode workers run beside the image encoder",
  );
  const runner = new JobRunner({
    store,
    process: createStudyProcessor({
      orthanc,
      dicomweb,
      model: options.wrapModel ? options.wrapModel(model) : model,
      config,
      logger: logger.child({ component: "pipeline" }),
      softwareVersion: RADZ_VERSION,
      flags: studyFlaggerFromConfig(config, orthanc, logger.child({ component: "flags" })),
      decodePool,
    }),
    logger: logger.child({ component: "jobs" }),
    concurrency: config.jobs.concurrency,
    maxAttempts: config.jobs.maxAttempts,
    backoffBaseMs: config.jobs.backoffBaseMs,
    backoffMaxMs: config.jobs.backoffMaxMs,
    onSettled: (job) => {
      metrics.jobSettled(job);
      events.publish({ type: "job", job });
      notify?.notifier.onSettled(job);
      drift?.observe(job);
      intake.jobSettled(job);
    },
    // A failed attempt is only counted when the PACS answers (docs/reliability.md).
    outageProbe: () =>
      withTimeout(orthanc.system(), OUTAGE_PROBE_MS).then(
        () => true,
        () => false,
      ),
  });
  const intake = new Intake({
    config,
    store,
    orthanc,
    dicomweb,
    changes: observeChangeSource(orthanc, metrics, (err) => toRadzError(err).code),
    currentReportSeriesUid: (uid) => reportUids(uid, model.identity).seriesInstanceUid,
    logger: logger.child({ component: "intake" }),
    wake: () => runner.wake(),
  });
  let listener: LimitedListener | null = null;
  let url = "";
  let modelOpen = true;
  const readiness = new ReadinessProbe({
    modelLoaded: () => modelOpen && backend.describe().ready,
    lastOrthancSuccessAt: () => metrics.lastOrthancSuccessAt,
    // A short probe: /readyz must answer well within a load balancer's timeout.
    probeOrthanc: () => withTimeout(orthanc.system(), READINESS_PROBE_MS),
    recordContact: (ok) => metrics.orthancContact(ok),
  });

  return {
    store,
    model,
    orthanc,
    feed: intake.feed,
    runner,
    metrics,
    sweep: intake.sweep,
    reprocess: intake.reprocess,
    get url() {
      return url;
    },
    async start() {
      const system = await orthanc.system().catch((err: unknown) => {
        const e = toRadzError(err);
        logger.warn(
          { code: e.code, err: e.message },
          "Orthanc not reachable at start; will keep polling",
        );
        return null;
      });
      metrics.orthancContact(system !== null);
      if (system) {
        logger.info(
          {
            orthancVersion: system.version,
            dicomWeb: system.dicomWebPlugin,
            labels: system.supportsLabels,
          },
          "connected to Orthanc",
        );
      }
      const app = createApi({
        store,
        logger: logger.child({ component: "http" }),
        ready: () => true,
        readiness: () => readiness.check(),
        metrics: () => metrics.render(),
        security: config.http,
        worklist: {
          wake: () => runner.wake(),
          events,
          links,
          preview: orthancPreviewSource({
            url: config.orthanc.url,
            http: outbound.orthanc,
            timeoutMs: config.orthanc.timeoutMs,
          }),
          notifications: notify?.log,
          feedback: store,
          labels: () => loaded.labels,
          // Who a study is: read from Orthanc when the worklist shows it, never stored (issue 21).
          identity: { identity: (id) => orthanc.studyIdentity(id) },
          studyExists: (id) => intake.studyExists(id),
          ui: config.ui,
          drift: drift ?? undefined,
        },
        preBodyRouters: [
          createWebhookRouter({
            enqueue: (id, source) => intake.push(id, source),
            wake: () => runner.wake(),
            logger: logger.child({ component: "webhook" }),
            secret: config.intake.webhookSecret,
            maxSkewSeconds: config.intake.webhookMaxSkewSeconds,
            acceptBearer: config.intake.webhookAcceptBearer,
            onOutcome: (outcome) => metrics.webhookRequest(outcome),
          }),
        ],
        model: () => ({
          id: model.identity.id,
          version: model.identity.version,
          executionProvider: model.identity.executionProvider,
          adaptation: model.identity.adaptation?.id ?? null,
        }),
      });
      // Idle and header timeouts, a connection cap, descriptors kept (security/listener-limits.ts).
      listener = await listenWithLimits(
        app,
        config.http,
        config.http,
        logger.child({ component: "http" }),
      );
      url = listener.url;
      runner.start();
      notify?.notifier.start();
      await intake.start();
      logger.info(
        { url, bundle: model.identity.id, ep: model.identity.executionProvider },
        "RadZ serving",
      );
    },
    async stop() {
      await intake.stop();
      events.close(); // ends live-update streams, which would keep the server open
      await listener?.close();
      await runner.stop(config.jobs.shutdownDeadlineMs);
      await decodePool.close();
      await notify?.notifier.stop();
      notify?.log.close();
      driftStore?.close();
      modelOpen = false;
      await model.close();
      await backend.close();
      store.close();
      outbound.close();
    },
  };
}
