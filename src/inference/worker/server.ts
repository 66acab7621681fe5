/**
 * The worker's HTTP/REST API: the Open Inference Protocol (KServe v2) as
 * NVIDIA Triton and KServe serve it, with the binary tensor data extension.
 *
 *   GET  /v2/health/live                                    (no token)
 *   GET  /v2/health/ready                                   (no token)
 *   GET  /v2                                                server metadata
 *   GET  /v2/models/{name}[/versions/{version}]             model metadata
 *   GET  /v2/models/{name}[/versions/{version}]/ready       model ready
 *   POST /v2/models/{name}[/versions/{version}]/infer       inference
 *   GET  /metrics                                           Prometheus text
 *
 * Health answers 200 for true and 400 for false (the status is the answer;
 * the body repeats it). Every error is { "error": "<message>" }: 400 for a
 * malformed request, 401 without a valid token, 404 for an unknown model,
 * version or path, 413 for an oversized body, 503 when the queue is full or
 * the worker is shutting down, 500 when the model run fails.
 */
import express, { type NextFunction, type Request, type Response } from "express";
import { RadzError } from "../../errors.js";
import type { Logger } from "../../observability/index.js";
import { RADZ_VERSION } from "../../version.js";
import {
  decodeInferenceRequest,
  encodeInferenceResponse,
  type ResponseTensor,
} from "../oip/codec.js";
import { OipFormatError, type OipTensor } from "../oip/datatypes.js";
import {
  BINARY_EXTENSION,
  HEADER_LENGTH_HEADER,
  type OipModelMetadata,
  type OipServerMetadata,
} from "../oip/types.js";
import { workerAuth, type WorkerTokenEntry } from "./auth.js";
import { DynamicBatcher } from "./dynamic-batcher.js";
import type { WorkerMetrics } from "./metrics.js";
import type { ServedModel } from "./served-model.js";

export const WORKER_SERVER_NAME = "radz-worker";

export interface WorkerAppOptions {
  readonly models: readonly ServedModel[];
  readonly maxBatch: number;
  readonly maxQueueDelayMs: number;
  readonly maxQueueSize: number;
  readonly maxRequestBytes: number;
  readonly tokens: readonly WorkerTokenEntry[];
  readonly allowUnauthenticated: boolean;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
}

export interface WorkerApp {
  readonly app: express.Express;
  /** Server (and model) readiness; false while starting or draining. */
  setReady(ready: boolean): void;
  /** Resolves when no request is queued or running. */
  drain(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof OipFormatError) return 400;
  if (err instanceof RadzError) {
    if (err.code === "INPUT_INVALID") return 400;
    if (err.code === "INFERENCE_QUEUE_FULL") return 503;
    return 500;
  }
  const type = (err as { type?: unknown }).type;
  if (type === "entity.too.large") return 413;
  const status = (err as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 500) return status;
  return 500;
}

function metadataOf(m: ServedModel): OipModelMetadata {
  const strip = (t: { name: string; datatype: string; shape: readonly number[] }) => ({
    name: t.name,
    datatype: t.datatype,
    shape: [...t.shape],
  });
  return {
    name: m.name,
    versions: [m.version],
    platform: m.platform,
    inputs: m.inputs.map(strip),
    outputs: m.outputs.map(strip),
  };
}

/** Checks decoded inputs against the model's declared inputs; returns the batch size. */
function checkInputs(model: ServedModel, inputs: readonly OipTensor[], maxBatch: number): number {
  const declared = new Map(model.inputs.map((s) => [s.name, s]));
  let batch: number | undefined;
  for (const t of inputs) {
    const s = declared.get(t.name);
    if (!s)
      throw new HttpError(
        400,
        `model "${model.name}" has no input "${t.name}" (inputs: ${model.inputs.map((i) => i.name).join(", ")})`,
      );
    if (t.datatype !== s.datatype)
      throw new HttpError(
        400,
        `input "${t.name}" has datatype ${t.datatype}; the model expects ${s.datatype}`,
      );
    const fits =
      t.shape.length === s.shape.length && s.shape.every((d, i) => d < 0 || t.shape[i] === d);
    if (!fits)
      throw new HttpError(
        400,
        `input "${t.name}" has shape [${t.shape.join(", ")}]; the model expects [${s.shape.join(", ")}] (-1: any size)`,
      );
    const rows = t.shape[0]!;
    if (batch !== undefined && rows !== batch)
      throw new HttpError(400, `inputs disagree on the batch size (${batch} and ${rows})`);
    batch = rows;
  }
  for (const s of model.inputs) {
    if (!s.optional && !inputs.some((t) => t.name === s.name))
      throw new HttpError(400, `input "${s.name}" is missing`);
  }
  if (batch === undefined || batch < 1)
    throw new HttpError(400, "the batch dimension (dimension 0) must be at least 1");
  if (batch > maxBatch)
    throw new HttpError(
      400,
      `the request's batch size ${batch} exceeds the model's max batch size ${maxBatch}`,
    );
  return batch;
}

export function createWorkerApp(opts: WorkerAppOptions): WorkerApp {
  const { metrics, logger } = opts;
  let ready = false;
  const byName = new Map<string, { model: ServedModel; batcher: DynamicBatcher }>();
  for (const model of opts.models) {
    metrics.setExecutionProvider(model.name, model.executionProvider);
    byName.set(model.name, {
      model,
      batcher: new DynamicBatcher({
        maxBatch: opts.maxBatch,
        maxQueueDelayMs: opts.maxQueueDelayMs,
        maxQueueSize: opts.maxQueueSize,
        execute: (inputs, batch) => model.execute(inputs, batch),
        observe: (o) => metrics.observeBatch(model.name, o),
      }),
    });
  }

  const lookup = (req: Request) => {
    const name = String(req.params.name);
    const entry = byName.get(name);
    if (!entry) throw new HttpError(404, `unknown model "${name}"`);
    const version = req.params.version;
    if (version !== undefined && String(version) !== entry.model.version)
      throw new HttpError(404, `model "${name}" has no version "${String(version)}"`);
    return entry;
  };

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.get("/v2/health/live", (_req, res) => {
    res.status(200).json({ live: true });
  });
  app.get("/v2/health/ready", (_req, res) => {
    res.status(ready ? 200 : 400).json({ ready });
  });

  app.use(workerAuth(opts.tokens, opts.allowUnauthenticated));

  app.get("/metrics", async (_req, res) => {
    for (const [name, { batcher }] of byName) metrics.setQueueDepth(name, batcher.depth);
    res.set("Content-Type", metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get("/v2", (_req, res) => {
    const body: OipServerMetadata = {
      name: WORKER_SERVER_NAME,
      version: RADZ_VERSION,
      extensions: [BINARY_EXTENSION],
    };
    res.json(body);
  });

  const modelReady = (req: Request, res: Response) => {
    const { model } = lookup(req);
    res.status(ready ? 200 : 400).json({ name: model.name, ready });
  };
  app.get("/v2/models/:name/ready", modelReady);
  app.get("/v2/models/:name/versions/:version/ready", modelReady);

  const modelMetadata = (req: Request, res: Response) => {
    res.json(metadataOf(lookup(req).model));
  };
  app.get("/v2/models/:name", modelMetadata);
  app.get("/v2/models/:name/versions/:version", modelMetadata);

  const raw = express.raw({ type: () => true, limit: opts.maxRequestBytes });
  const infer = async (req: Request, res: Response) => {
    const { model, batcher } = lookup(req);
    const headerLength = req.get(HEADER_LENGTH_HEADER);
    const encoding = headerLength === undefined ? "json" : "binary";
    try {
      if (!ready) throw new HttpError(503, "the worker is not ready (starting or shutting down)");
      const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const request = decodeInferenceRequest(body, headerLength);
      const batch = checkInputs(model, request.inputs, opts.maxBatch);
      const wanted =
        request.outputs ??
        model.outputs.map((o) => ({
          name: o.name,
          binary: request.binaryByDefault,
        }));
      for (const o of wanted) {
        if (!model.outputs.some((s) => s.name === o.name))
          throw new HttpError(400, `model "${model.name}" has no output "${o.name}"`);
      }
      const inputs = new Map(request.inputs.map((t) => [t.name, t]));
      const outputs = await batcher.submit(inputs, batch);
      const tensors: ResponseTensor[] = wanted.map((o) => ({
        tensor: { ...outputs.get(o.name)!, name: o.name },
        binary: o.binary,
      }));
      const encoded = encodeInferenceResponse({
        model_name: model.name,
        model_version: model.version,
        ...(request.id !== undefined ? { id: request.id } : {}),
        outputs: tensors,
      });
      res.status(200);
      res.setHeader("Content-Type", encoded.contentType);
      res.setHeader("Content-Length", String(encoded.length));
      if (encoded.headerLength !== undefined)
        res.setHeader("Inference-Header-Content-Length", String(encoded.headerLength));
      for (const c of encoded.chunks.slice(0, -1)) res.write(c);
      res.end(encoded.chunks[encoded.chunks.length - 1]);
      metrics.countRequest(model.name, encoding, "ok");
    } catch (err) {
      metrics.countRequest(model.name, encoding, "error");
      throw err;
    }
  };
  app.post("/v2/models/:name/infer", raw, infer);
  app.post("/v2/models/:name/versions/:version/infer", raw, infer);

  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: `no such endpoint: ${req.method} ${req.path}` });
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = statusOf(err);
    const message =
      status === 413
        ? `the request body exceeds the worker's limit of ${opts.maxRequestBytes} bytes`
        : err instanceof Error
          ? err.message
          : String(err);
    if (status >= 500) {
      const code = err instanceof RadzError ? err.code : "INTERNAL";
      logger.warn({ status, code, err: message }, "inference request failed");
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json({ error: message });
  });

  return {
    app,
    setReady(v) {
      ready = v;
    },
    async drain() {
      await Promise.all([...byName.values()].map(({ batcher }) => batcher.drain()));
    },
  };
}
