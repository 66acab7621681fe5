/**
 * The one configuration schema. Every option lives here with its default and
 * description; docs/configuration.md is generated from it (npm run docs:config)
 * and a test fails when that file is stale.
 */
import cron from "node-cron";
import { z } from "zod";

const url = z.string().url();

/** An absolute http(s) URL (links shown to users must never be javascript: or data:). */
const httpUrl = z
  .string()
  .url()
  .refine((v) => /^https?:$/.test(new URL(v).protocol), "must be an http or https URL");

/** An Orthanc user metadata name. */
/** Listener limits (security/listener-limits.ts): the same fields for the API (http.*) and radz worker (worker.*). */
interface ListenerDefaults {
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}
const API_LISTENER: ListenerDefaults = {
  maxConnections: 1024,
  idleTimeoutMs: 120_000,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
};
const WORKER_LISTENER: ListenerDefaults = {
  maxConnections: 1024,
  idleTimeoutMs: 120_000,
  headersTimeoutMs: 20_000,
  // Large batches of images may take a while to upload on slow links.
  requestTimeoutMs: 300_000,
  // RadZ's inference client keeps connections open between batches.
  keepAliveTimeoutMs: 65_000,
};
function listenerLimitFields(d: ListenerDefaults, who: string) {
  const ms = z.number().int().min(100).max(3_600_000);
  return {
    maxConnections: z
      .number()
      .int()
      .min(16)
      .max(1_000_000)
      .default(d.maxConnections)
      .describe(
        `Most open connections to ${who}. At the cap a new connection replaces the longest-idle one (no request in flight); only when all are busy is it refused with HTTP 503. Lowered at start to keep 256 file descriptors free under the process's open-files limit for Orthanc calls and the change feed.`,
      ),
    idleTimeoutMs: ms
      .default(d.idleTimeoutMs)
      .describe(
        `A connection to ${who} on which no byte moves either way for this long is closed, one that never sent a byte included. Keep it above the longest silent request (the preview waits up to 2 × orthanc.timeoutMs).`,
      ),
    headersTimeoutMs: ms
      .default(d.headersTimeoutMs)
      .describe("A request head must be complete this long after its first byte (HTTP 408 after)."),
    requestTimeoutMs: ms
      .default(d.requestTimeoutMs)
      .describe("A whole request, head and body, must arrive within this time (HTTP 408 after)."),
    keepAliveTimeoutMs: ms
      .default(d.keepAliveTimeoutMs)
      .describe("How long a keep-alive connection waits for its next request."),
  };
}

const metadataName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "A-Z a-z 0-9 _, 1-64");

function isViewerTemplate(v: string): boolean {
  if (!v.includes("{studyInstanceUID}") && !v.includes("{orthancStudyId}")) return false;
  try {
    const sample = v.replaceAll("{studyInstanceUID}", "1.2.3").replaceAll("{orthancStudyId}", "x");
    return /^https?:$/.test(new URL(sample).protocol);
  } catch {
    return false;
  }
}

/** An HTTP header name (RFC 9110 token) and a value without CR/LF/NUL. */
const headers = z
  .record(
    z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, "not a valid HTTP header name"),
    z.string().regex(/^[^\r\n\0]*$/, "header values may not contain CR, LF or NUL"),
  )
  .optional();

/**
 * Credentials and TLS for one outbound HTTP target (see src/security/outbound.ts).
 * Secrets: pass them through the environment or *_FILE variables, never the JSON file.
 */
function outboundFields(target: string) {
  return {
    username: z.string().optional().describe(`HTTP Basic user for ${target}.`),
    password: z
      .string()
      .optional()
      .describe(
        `HTTP Basic password for ${target} (secret: set it through the environment, e.g. *_PASSWORD or *_PASSWORD_FILE).`,
      ),
    bearerToken: z
      .string()
      .optional()
      .describe(
        `Bearer token for ${target} (secret; Authorization: Bearer). Takes precedence over Basic.`,
      ),
    headers: headers.describe(
      `Extra HTTP headers sent to ${target} (values are treated as secrets and redacted in dumps).`,
    ),
    caFile: z
      .string()
      .optional()
      .describe(
        `PEM file of the CA(s) that sign ${target}'s HTTPS certificate (replaces the public roots).`,
      ),
    clientCertFile: z
      .string()
      .optional()
      .describe(`PEM client certificate for mutual TLS with ${target} (needs clientKeyFile).`),
    clientKeyFile: z
      .string()
      .optional()
      .describe(`PEM private key of the client certificate (secret file; needs clientCertFile).`),
  };
}

/** One API token: only its sha256 is stored (create one with `radz token create`). */
const apiToken = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.@-]{1,64}$/, "token names are 1-64 of A-Z a-z 0-9 _ . @ -")
      .describe("Who holds the token; written to audit log lines."),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "sha256 must be 64 lower-case hex digits")
      .describe("Hex SHA-256 of the token."),
    role: z
      .enum(["read", "reviewer", "admin"])
      .describe(
        "read: GET routes; reviewer: read plus feedback on findings (POST /api/studies/{id}/feedback); admin: every route.",
      ),
  })
  .strict();

const promptText = z.string().trim().min(1);

/**
 * A label added to the model bundle's, or an override of one of its labels
 * (same id): given fields replace the bundle's. New labels need prompts or
 * knowledge (and a text encoder in the bundle); see docs/models.md.
 */
const modelLabel = z
  .object({
    id: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, "label ids are lower_snake_case, starting with a letter"),
    remove: z.boolean().optional().describe("Drop this bundle label."),
    display: promptText.optional(),
    concept: z
      .object({
        value: z.string().trim().min(1).max(64),
        scheme: z.string().trim().min(1).max(16),
        meaning: z.string().trim().min(1).max(64),
      })
      .strict()
      .optional(),
    prompts: z
      .object({
        positive: z.array(promptText).optional(),
        negative: z.array(promptText).optional(),
      })
      .strict()
      .optional(),
    knowledge: z.array(promptText).optional(),
    combine: z
      .object({
        promptWeight: z.number().min(0).optional(),
        knowledgeWeight: z.number().min(0).optional(),
      })
      .strict()
      .optional(),
    threshold: z.number().min(0).max(1).optional(),
    triageWeight: z.number().min(0).max(100).optional(),
  })
  .strict();

export const ConfigSchema = z
  .object({
    orthanc: z
      .object({
        url: url.default("http://127.0.0.1:8042").describe("Orthanc REST base URL."),
        ...outboundFields("Orthanc"),
        timeoutMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe("Per-request timeout for Orthanc REST calls."),
      })
      .strict()
      .prefault({}),
    dicomweb: z
      .object({
        url: url
          .optional()
          .describe("DICOMweb root (QIDO/WADO/STOW). Default: <orthanc.url>/dicom-web."),
        ...outboundFields(
          "the DICOMweb server (default: orthanc's settings when dicomweb.url is unset or has the same origin as orthanc.url)",
        ),
        timeoutMs: z
          .number()
          .int()
          .positive()
          .default(60_000)
          .describe("Per-request timeout for DICOMweb calls."),
        maxInstanceBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024 * 1024)
          .describe(
            "Largest instance RadZ will retrieve; larger ones fail the study with DICOMWEB_INSTANCE_TOO_LARGE.",
          ),
      })
      .strict()
      .prefault({}),
    intake: z
      .object({
        poll: z
          .boolean()
          .default(true)
          .describe("Poll Orthanc's /changes feed for StableStudy events."),
        pollCron: z
          .string()
          .refine((v) => cron.validate(v), "not a valid node-cron expression")
          .default("*/2 * * * * *")
          .describe("node-cron schedule (with seconds) for polling /changes."),
        startFrom: z
          .enum(["now", "beginning"])
          .default("now")
          .describe(
            "On first start (no stored cursor): 'now' ignores studies already in Orthanc (use `radz backfill` for those), 'beginning' reads Orthanc's whole change history.",
          ),
        changesLimit: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(100)
          .describe("Changes fetched per /changes request."),
        webhookSecret: z
          .string()
          .min(16)
          .optional()
          .describe(
            "Shared secret of POST /webhook/orthanc, the push from the Orthanc hook (`radz orthanc install`): HMAC-SHA256 signatures, or a bearer token derived from it for the Lua hook. Unset = webhook off (polling only). Secret: set RADZ_INTAKE__WEBHOOK_SECRET.",
          ),
        webhookMaxSkewSeconds: z
          .number()
          .int()
          .min(1)
          .max(3600)
          .default(300)
          .describe(
            "Replay window of signed pushes: largest accepted difference between X-Radz-Timestamp and this machine's clock.",
          ),
        webhookAcceptBearer: z
          .boolean()
          .default(true)
          .describe(
            "Accept the static bearer token the Lua hook sends (Orthanc's Lua has no HMAC); false = signed pushes only (Python hook).",
          ),
        reprocessOnChange: z
          .enum(["new-images", "never", "always"])
          .default("new-images")
          .describe(
            "When Orthanc reports a finished study stable again (new instances arrived): 'new-images' re-processes it when the selection rules now pick an image the job did not read, 'always' when any instance outside the RadZ results series is new, 'never' leaves it (docs/reliability.md).",
          ),
        sweep: z
          .boolean()
          .default(true)
          .describe(
            "Run the reconciliation sweep: QIDO-RS for recent studies without a job or a current RadZ SR, enqueued with source 'sweep'.",
          ),
        sweepCron: z
          .string()
          .refine((v) => cron.validate(v), "not a valid node-cron expression")
          .default("0 */10 * * * *")
          .describe("node-cron schedule (with seconds) of the reconciliation sweep."),
        sweepWindowDays: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .default(2)
          .describe(
            "The sweep looks at studies whose StudyDate is within this many days of today.",
          ),
      })
      .strict()
      .prefault({}),
    jobs: z
      .object({
        dbPath: z
          .string()
          .default(".radz/radz.sqlite")
          .describe("SQLite job store path (created if missing)."),
        concurrency: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(4)
          .describe(
            "Studies processed at once. Enough that while some studies are in transfer or write-back (QIDO, WADO-RS, SR, STOW-RS), others have images waiting for the decode pool and the model, so neither idles.",
          ),
        maxAttempts: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(5)
          .describe("Attempts before a job with transient errors ends failed."),
        backoffBaseMs: z
          .number()
          .int()
          .min(0)
          .default(2_000)
          .describe("First retry delay; doubles each attempt, with jitter."),
        backoffMaxMs: z
          .number()
          .int()
          .min(0)
          .default(300_000)
          .describe("Upper bound on one retry delay (a server's Retry-After may ask for longer)."),
        maxQueued: z
          .number()
          .int()
          .min(1)
          .default(10_000)
          .describe(
            "Intake (change feed, sweep, backfill) pauses while this many jobs are queued; the change-feed cursor does not advance, so nothing is lost.",
          ),
        shutdownDeadlineMs: z
          .number()
          .int()
          .min(0)
          .default(30_000)
          .describe(
            "On SIGTERM/SIGINT, how long in-flight studies may finish; the rest go back to queued.",
          ),
      })
      .strict()
      .prefault({}),
    selection: z
      .object({
        modalities: z
          .array(z.string())
          .default(["CR", "DX", "DR"])
          .describe("Modalities whose images are read."),
        bodyParts: z
          .array(z.string())
          .default(["CHEST", "THORAX", ""])
          .describe("Accepted Body Part Examined values ('' = absent)."),
        maxImagesPerStudy: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(4)
          .describe("Most images read per study."),
      })
      .strict()
      .prefault({}),
    imaging: z
      .object({
        maxPixels: z
          .number()
          .int()
          .positive()
          .default(100_000_000)
          .describe(
            "Largest Rows x Columns accepted; larger images fail with DICOM_IMAGE_TOO_LARGE.",
          ),
        windowIndex: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe("Which Window Center/Width pair to use when several are present."),
        decodeThreads: z
          .number()
          .int()
          .min(0)
          .max(256)
          .optional()
          .describe(
            "Worker threads that parse, decode and preprocess images (0 = on the main thread). Default: one per CPU core where decoding takes turns with the image encoder (imaging.yieldToInference), otherwise CPU cores - 1; at least 1.",
          ),
        decodeNice: z
          .number()
          .int()
          .min(0)
          .max(19)
          .default(5)
          .describe(
            "Nice value of the decode worker threads (Linux; 0 = the process's priority). Above 0 they give way to the event loop, Orthanc's requests and the model's onnxruntime threads (an image a worker started before an encoder run finishes beside it).",
          ),
        yieldToInference: z
          .union([z.literal("auto"), z.boolean()], { error: 'expected "auto", true or false' })
          .default("auto")
          .describe(
            'Decode workers start no image while an image-encoder run is in flight, so that decoding and inference take turns on the cores instead of sharing them (onnxruntime waits for the slowest of its threads: a decode worker on one of their cores held each operator up). "auto": on where the encoder runs in this process on the CPU execution provider, off with CUDA or a remote inference backend, where decoding goes on during runs. docs/benchmarks.md, End to end.',
          ),
      })
      .strict()
      .prefault({}),
    model: z
      .object({
        bundle: z
          .string()
          .default(".radz/demo-bundle")
          .describe("Model bundle directory (contains bundle.json)."),
        executionProviders: z
          .array(z.enum(["cuda", "cpu"]))
          .default(["cpu"])
          .describe("onnxruntime execution providers in order of preference."),
        requireGpu: z
          .boolean()
          .default(false)
          .describe("Fail at start when the CUDA execution provider is not available."),
        aggregation: z
          .enum(["max", "mean"])
          .default("max")
          .describe("How per-image probabilities combine into a study's."),
        intraOpThreads: z
          .number()
          .int()
          .min(0)
          .max(1024)
          .default(0)
          .describe(
            "onnxruntime intra-op threads per session (0 = onnxruntime's default, one per physical core).",
          ),
        graphOptimization: z
          .enum(["disabled", "basic", "extended", "all"])
          .default("all")
          .describe("onnxruntime graph optimisation level."),
        spinning: z
          .boolean()
          .default(false)
          .describe(
            "Let onnxruntime's pool threads spin while they wait for work (session.intra_op.allow_spinning / session.inter_op.allow_spinning). Off by default: spinning threads burn CPU the decode workers, the event loop and Orthanc need on a CPU node (docs/benchmarks.md, End to end); on a node where the model has cores of its own it may save a little latency.",
          ),
        sessionThread: z
          .boolean()
          .default(true)
          .describe(
            "Run the image encoder's onnxruntime session on a worker thread of its own, so that transfers, decode hand-offs and write-back go on during inference (onnxruntime-node's run holds the calling thread for the whole batch). false: on the event loop's thread.",
          ),
        maxBatch: z
          .number()
          .int()
          .min(1)
          .max(1024)
          .default(8)
          .describe(
            "Most images in one image-encoder run; images of concurrent studies share a run (micro-batching).",
          ),
        maxBatchWaitMs: z
          .number()
          .min(0)
          .max(10_000)
          .default(5)
          .describe(
            "How long the first queued image waits for others to fill a batch before the run starts.",
          ),
        embeddingCacheDir: z
          .string()
          .default(".radz/embeddings")
          .describe(
            "Where label text embeddings computed at start are cached, keyed by sha256 of bundle id, version, text encoder and text.",
          ),
        labels: z
          .array(modelLabel)
          .refine(
            (list) => new Set(list.map((l) => l.id)).size === list.length,
            "label ids must be unique",
          )
          .default([])
          .describe(
            "Labels added to the bundle's, or overrides of its labels by id (prompts, knowledge, threshold, ...), without retraining; see docs/models.md.",
          ),
        calibrationOverlay: z
          .string()
          .optional()
          .describe(
            "Calibration overlay written by `radz calibrate`: per-label calibration and thresholds applied over the bundle's.",
          ),
        adaptation: z
          .string()
          .optional()
          .describe(
            "Site adaptation written by `radz adapt`: a few-shot term added to the labels' zero-shot logits, with their recalibrated thresholds. Refused (ADAPTATION_INVALID) when it was fitted for another bundle or label texts. Remove the setting to roll back. See docs/models.md.",
          ),
      })
      .strict()
      .prefault({}),
    inference: z
      .object({
        backend: z
          .enum(["local", "remote"])
          .default("local")
          .describe(
            "Where image embeddings are computed: 'local' (this process, model.executionProviders) or 'remote' (Open Inference Protocol endpoints: radz worker, Triton, KServe; see docs/gpu.md). Scoring stays local either way.",
          ),
        endpoints: z
          .array(
            z
              .object({
                url: url.describe("Base URL of the endpoint (the /v2/... paths are appended)."),
                token: z
                  .string()
                  .optional()
                  .describe("Bearer token for this endpoint (secret; overrides inference.token)."),
                tokenFile: z
                  .string()
                  .optional()
                  .describe("File holding this endpoint's bearer token (read at start)."),
              })
              .strict(),
          )
          .default([])
          .describe(
            'Inference endpoints for backend \'remote\', e.g. [{"url": "http://gpu1:8000"}]. Batches go to the ready endpoint with the fewest outstanding requests.',
          ),
        token: z
          .string()
          .optional()
          .describe(
            "Bearer token for every endpoint without its own (secret: RADZ_INFERENCE__TOKEN or RADZ_INFERENCE__TOKEN_FILE).",
          ),
        modelName: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "not a valid model name")
          .optional()
          .describe(
            "Served model name of the image encoder. Default: '<bundle id>-image', the name radz worker and `radz bundle export-triton` use.",
          ),
        modelVersion: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,64}$/, "not a valid model version")
          .optional()
          .describe("Model version to request (/versions/{v}); default: the server's choice."),
        timeoutMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe("Deadline of one inference request; past it the batch is retried elsewhere."),
        maxAttempts: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(3)
          .describe(
            "Tries per batch across endpoints before the study's attempt fails (transient).",
          ),
        probeIntervalMs: z
          .number()
          .int()
          .min(100)
          .default(5_000)
          .describe(
            "How often endpoints that are down or not ready are probed to bring them back.",
          ),
        maxBatch: z
          .number()
          .int()
          .min(1)
          .max(1024)
          .default(16)
          .describe(
            "Most images in one request; larger calls are split. Keep it at or below the server's max batch size (radz worker --max-batch, Triton max_batch_size).",
          ),
        binary: z
          .boolean()
          .default(true)
          .describe(
            "Send and receive tensors with the binary tensor data extension where the endpoint offers it (GET /v2 lists binary_tensor_data); false: JSON tensors.",
          ),
      })
      .strict()
      .refine((v) => v.backend !== "remote" || v.endpoints.length > 0, {
        message: "backend 'remote' needs at least one entry in inference.endpoints",
        path: ["endpoints"],
      })
      .prefault({}),
    worker: z
      .object({
        host: z.string().default("127.0.0.1").describe("Address `radz worker` listens on."),
        port: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .default(8000)
          .describe("Port `radz worker` listens on (Triton's HTTP default; 0 = any free port)."),
        tokens: z
          .array(
            z
              .object({
                name: z
                  .string()
                  .regex(/^[A-Za-z0-9_.@-]{1,64}$/, "token names are 1-64 of A-Z a-z 0-9 _ . @ -")
                  .describe("Who holds the token (a listener)."),
                sha256: z
                  .string()
                  .regex(/^[0-9a-f]{64}$/, "sha256 must be 64 lower-case hex digits")
                  .describe("Hex SHA-256 of the token."),
              })
              .strict(),
          )
          .default([])
          .describe(
            "Bearer tokens the worker accepts, as {name, sha256}; every route except /v2/health/* needs one.",
          ),
        allowUnauthenticated: z
          .boolean()
          .default(false)
          .describe(
            "Serve without tokens when worker.tokens is empty (only on a private, trusted network). Without tokens and without this, the worker refuses to start.",
          ),
        maxBatch: z
          .number()
          .int()
          .min(1)
          .max(1024)
          .default(16)
          .describe("Most rows in one model run (dynamic batching); larger requests get HTTP 400."),
        maxQueueDelayMs: z
          .number()
          .min(0)
          .max(10_000)
          .default(5)
          .describe(
            "How long the oldest queued request waits for others to fill a batch (Triton: max_queue_delay_microseconds).",
          ),
        maxQueueSize: z
          .number()
          .int()
          .min(1)
          .default(256)
          .describe(
            "Requests waiting per model before the worker answers 503 (INFERENCE_QUEUE_FULL).",
          ),
        maxRequestBytes: z
          .number()
          .int()
          .positive()
          .default(512 * 1024 * 1024)
          .describe("Largest request body accepted (HTTP 413 above)."),
        ...listenerLimitFields(WORKER_LISTENER, "`radz worker`"),
      })
      .strict()
      .prefault({}),
    report: z
      .object({
        seriesNumber: z
          .number()
          .int()
          .min(1)
          .default(9900)
          .describe("Series Number of the RadZ results series (the SR)."),
        summarySeriesNumber: z
          .number()
          .int()
          .min(1)
          .default(9901)
          .describe(
            "Series Number of the summary image's own series (Modality OT), so viewers list it as an image with a thumbnail.",
          ),
        seriesDescription: z
          .string()
          .max(64)
          .default("RadZ AI findings (unverified)")
          .describe("Series Description of the results series; the model name is appended."),
        manufacturer: z
          .string()
          .max(64)
          .default("RadZ")
          .describe("Manufacturer written into the SR."),
        institutionName: z
          .string()
          .max(64)
          .optional()
          .describe("Institution Name written into the SR equipment module."),
        summaryImage: z
          .boolean()
          .default(true)
          .describe(
            "Also write a summary image (Secondary Capture: findings table, priority, model, the image read with the regions of positive findings) in a series of its own, for viewers that do not render SR.",
          ),
        previousResults: z
          .enum(["keep", "delete"])
          .default("keep")
          .describe(
            "What happens to an earlier RadZ result (other bundle version or label set) when a study is re-processed: keep it (the new SR names it as predecessor) or delete it from Orthanc once the new one is stored.",
          ),
      })
      .strict()
      .prefault({}),
    triage: z
      .object({
        labels: z
          .record(
            z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "label ids are lower_snake_case"),
            z
              .object({
                threshold: z
                  .number()
                  .min(0)
                  .max(1)
                  .optional()
                  .describe("Operating threshold on the calibrated probability."),
                weight: z
                  .number()
                  .min(0)
                  .max(100)
                  .optional()
                  .describe("Triage weight; a positive finding with weight >= 1 is urgent."),
              })
              .strict(),
          )
          .default({})
          .describe(
            'Per-label overrides of the bundle\'s calibrated threshold and triage weight, by label id, e.g. {"pneumothorax": {"threshold": 0.4, "weight": 1}} (see docs/triage.md).',
          ),
      })
      .strict()
      .prefault({}),
    flags: z
      .object({
        mode: z
          .enum(["auto", "labels", "metadata", "off"])
          .default("auto")
          .describe(
            "How studies are flagged in Orthanc: 'auto' = labels on Orthanc >= 1.12, study user metadata before (skipped with a warning when Orthanc lacks the UserMetadata entries); 'labels'; 'metadata' (missing entries fail the study); 'off'.",
          ),
        labelPrefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,32}$/, "1-32 of A-Z a-z 0-9 _ -")
          .default("ai-")
          .describe(
            "Prefix of RadZ's Orthanc labels (<prefix>urgent, <prefix>review, <prefix><labelId>); labels with it are replaced on every re-processing.",
          ),
        metadata: z
          .object({
            priority: metadataName
              .default("RadzPriority")
              .describe("Study metadata: urgent | review (deleted when routine)."),
            findings: metadataName
              .default("RadzFindings")
              .describe("Study metadata: positive findings, label=probability;…"),
            status: metadataName.default("RadzStatus").describe("Study metadata: done."),
            result: metadataName
              .default("RadzResult")
              .describe("Study metadata: the SR's SOP Instance UID."),
          })
          .strict()
          .prefault({})
          .describe(
            "Names of the study user metadata used on Orthanc < 1.12 (see docs/triage.md).",
          ),
      })
      .strict()
      .prefault({}),
    ui: z
      .object({
        enabled: z.boolean().default(true).describe("Serve the worklist page at / and /worklist."),
        orthancPublicUrl: httpUrl
          .optional()
          .describe(
            "Orthanc as the users' browsers reach it, for 'open in Orthanc Explorer' links. Default: orthanc.url.",
          ),
        viewerUrlTemplate: z
          .string()
          .refine(
            isViewerTemplate,
            "must be an http(s) URL using {studyInstanceUID} or {orthancStudyId}",
          )
          .optional()
          .describe(
            "Viewer link per study; {studyInstanceUID} and {orthancStudyId} are replaced, URL-encoded. OHIF: https://ohif.example/viewer?StudyInstanceUIDs={studyInstanceUID}",
          ),
        viewerName: z
          .string()
          .min(1)
          .max(32)
          .default("Viewer")
          .describe("Text of the viewer link."),
      })
      .strict()
      .prefault({}),
    notify: z
      .object({
        webhookUrl: httpUrl
          .optional()
          .describe(
            "Receiver of signed JSON POSTs when a study is flagged urgent or a label drifts (drift.alertLevel); unset = off.",
          ),
        secret: z
          .string()
          .min(16)
          .optional()
          .describe(
            "HMAC-SHA256 key for X-Radz-Signature (secret: set RADZ_NOTIFY__SECRET). Required with webhookUrl.",
          ),
        timeoutMs: z
          .number()
          .int()
          .positive()
          .default(10_000)
          .describe("Per-attempt timeout of a webhook POST."),
        maxAttempts: z
          .number()
          .int()
          .min(1)
          .max(50)
          .default(8)
          .describe("Attempts before a notification ends failed."),
        backoffBaseMs: z
          .number()
          .int()
          .min(0)
          .default(2_000)
          .describe("First retry delay; doubles each attempt, with jitter."),
        backoffMaxMs: z
          .number()
          .int()
          .min(0)
          .default(600_000)
          .describe("Upper bound on one retry delay."),
      })
      .strict()
      .refine((n) => n.webhookUrl === undefined || n.secret !== undefined, {
        message: "notify.secret is required when notify.webhookUrl is set",
        path: ["secret"],
      })
      .prefault({}),
    drift: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            "Watch each label's score distribution for drift against a reference window (docs/drift.md).",
          ),
        referenceSize: z
          .number()
          .int()
          .min(10)
          .max(100_000)
          .default(500)
          .describe(
            "The reference window: the first this many studies scored after the model, label set, calibration or adaptation changed.",
          ),
        windowSize: z
          .number()
          .int()
          .min(10)
          .max(100_000)
          .default(500)
          .describe("The current window: the last this many studies scored after the reference."),
        minWindowSize: z
          .number()
          .int()
          .min(10)
          .max(100_000)
          .default(300)
          .describe(
            "No PSI (and no alert) until the current window holds this many studies: small samples drift by chance.",
          ),
        bins: z
          .number()
          .int()
          .min(2)
          .max(50)
          .default(10)
          .describe("Bins at the reference's quantiles (10: deciles)."),
        watchLevel: z
          .number()
          .positive()
          .default(0.1)
          .describe("PSI at which a label is shown as 'watch' (no alert)."),
        alertLevel: z
          .number()
          .positive()
          .default(0.25)
          .describe(
            "PSI at which a label alerts (log line, signed webhook event drift.alert), once per crossing; re-armed when its PSI falls below watchLevel.",
          ),
      })
      .strict()
      .refine((d) => d.alertLevel > d.watchLevel, {
        message: "drift.alertLevel must be above drift.watchLevel",
        path: ["alertLevel"],
      })
      .refine((d) => d.minWindowSize <= d.windowSize, {
        message: "drift.minWindowSize cannot exceed drift.windowSize",
        path: ["minWindowSize"],
      })
      .prefault({}),
    http: z
      .object({
        host: z.string().default("127.0.0.1").describe("Address the API listens on."),
        port: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .default(8700)
          .describe("Port the API listens on (0 = any free port)."),
        tokens: z
          .array(apiToken)
          .refine(
            (list) => new Set(list.map((t) => t.name)).size === list.length,
            "token names must be unique",
          )
          .default([])
          .describe(
            "API tokens as {name, sha256, role}; every route except /healthz needs one. Empty: the API refuses everything.",
          ),
        corsOrigins: z
          .array(z.string().regex(/^https?:\/\/[^/\s]+$/, "an origin is scheme://host[:port]"))
          .default([])
          .describe(
            "Origins allowed to call the API from a browser (CORS). Empty: no CORS headers.",
          ),
        trustProxy: z
          .union([z.boolean(), z.number().int().min(0), z.string()])
          .default(false)
          .describe(
            "express 'trust proxy': set when a reverse proxy terminates TLS, so client addresses (rate limit, audit) and https are read from X-Forwarded-*.",
          ),
        authFailureWindowMs: z
          .number()
          .int()
          .positive()
          .default(15 * 60_000)
          .describe(
            "Window over which failed authentications are counted (per client address, connecting peer and credential).",
          ),
        authFailureMax: z
          .number()
          .int()
          .positive()
          .default(20)
          .describe(
            "Failed authentications per key and window before HTTP 429: an address's failing requests, or every request with a guessed-at credential. A valid token is never refused for its address's failures.",
          ),
        sessionMaxAgeSeconds: z
          .number()
          .int()
          .positive()
          .default(8 * 3600)
          .describe(
            "Lifetime of a browser session (POST /api/session): the session ends on the server after this long, whatever the cookie says.",
          ),
        secureCookies: z
          .boolean()
          .default(false)
          .describe(
            "Mark the session cookie Secure even when the request is plain HTTP (set when a TLS proxy is in front without trustProxy).",
          ),
        ...listenerLimitFields(API_LISTENER, "the API"),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z
          .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
          .default("info")
          .describe("Log level."),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ConfigInput = z.input<typeof ConfigSchema>;
export type Config = z.output<typeof ConfigSchema>;
