/**
 * startWorker: loads a bundle (verified, warmed up, on the configured
 * execution providers), serves its encoders over the Open Inference Protocol
 * and returns a handle whose stop() drains in-flight requests first.
 */
import { RadzError } from "../../errors.js";
import { loadModel, type ExecutionProviderName, type ZeroShotModel } from "../../model/index.js";
import type { Logger } from "../../observability/index.js";
import {
  listenWithLimits,
  type LimitedListener,
  type ListenerLimits,
} from "../../security/index.js";
import type { WorkerTokenEntry } from "./auth.js";
import { createWorkerMetrics, type WorkerMetrics } from "./metrics.js";
import { servedImageModel, servedTextModel, type ServedModel } from "./served-model.js";
import { createWorkerApp } from "./server.js";

export interface StartWorkerOptions {
  readonly bundleDir: string;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly executionProviders: readonly ExecutionProviderName[];
  /** Fail with GPU_UNAVAILABLE unless the CUDA execution provider loads. */
  readonly requireGpu: boolean;
  readonly maxBatch: number;
  readonly maxQueueDelayMs: number;
  readonly maxQueueSize: number;
  readonly maxRequestBytes: number;
  readonly tokens: readonly WorkerTokenEntry[];
  readonly allowUnauthenticated: boolean;
  /** Idle/header timeouts and the connection cap (worker.* listener fields; security/listener-limits.ts). */
  readonly limits: ListenerLimits;
  /** Also serve the text encoder as "<bundle id>-text" when the bundle has one. */
  readonly serveTextEncoder?: boolean;
  readonly embeddingCacheDir?: string;
  readonly logger: Logger;
}

export interface RunningWorker {
  /** http://host:port */
  readonly url: string;
  readonly models: readonly string[];
  readonly executionProvider: string;
  readonly metrics: WorkerMetrics;
  /** Stops accepting, finishes queued and running requests, releases the model. */
  stop(): Promise<void>;
}

export async function startWorker(opts: StartWorkerOptions): Promise<RunningWorker> {
  if (opts.tokens.length === 0 && !opts.allowUnauthenticated) {
    throw new RadzError(
      "CONFIG_INVALID",
      "worker.tokens is empty: configure at least one token ({ name, sha256 }) or set worker.allowUnauthenticated on a private network",
    );
  }
  const logger = opts.logger.child({ component: "worker" });
  const providers: ExecutionProviderName[] =
    opts.requireGpu && !opts.executionProviders.includes("cuda")
      ? ["cuda", ...opts.executionProviders]
      : [...opts.executionProviders];
  const model: ZeroShotModel = await loadModel(opts.bundleDir, {
    executionProviders: providers,
    requireGpu: opts.requireGpu,
    logger,
    ...(opts.embeddingCacheDir ? { embeddingCacheDir: opts.embeddingCacheDir } : {}),
  });
  const served: ServedModel[] = [servedImageModel(model)];
  try {
    if (opts.serveTextEncoder ?? true) {
      const ep = model.identity.executionProvider === "cuda" ? "cuda" : "cpu";
      const text = await servedTextModel(opts.bundleDir, model.manifest, ep);
      if (text) served.push(text);
    }
  } catch (err) {
    await model.close();
    throw err;
  }
  const metrics = createWorkerMetrics();
  const worker = createWorkerApp({
    models: served,
    maxBatch: opts.maxBatch,
    maxQueueDelayMs: opts.maxQueueDelayMs,
    maxQueueSize: opts.maxQueueSize,
    maxRequestBytes: opts.maxRequestBytes,
    tokens: opts.tokens,
    allowUnauthenticated: opts.allowUnauthenticated,
    metrics,
    logger,
  });
  let listener: LimitedListener;
  try {
    listener = await listenWithLimits(worker.app, opts, opts.limits, logger);
  } catch (err) {
    await Promise.all(served.map((m) => m.close()));
    await model.close();
    throw err;
  }
  const url = listener.url;
  worker.setReady(true);
  logger.info(
    {
      url,
      models: served.map((m) => m.name),
      executionProvider: model.identity.executionProvider,
      maxBatch: opts.maxBatch,
      maxQueueDelayMs: opts.maxQueueDelayMs,
      authenticated: opts.tokens.length > 0,
    },
    "worker serving (Open Inference Protocol)",
  );
  let stopping: Promise<void> | undefined;
  return {
    url,
    models: served.map((m) => m.name),
    executionProvider: model.identity.executionProvider,
    metrics,
    stop() {
      stopping ??= (async () => {
        worker.setReady(false);
        const server = listener.server;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await worker.drain();
        // Give responses written by the drained requests a moment to flush.
        await listener.close(50);
        await closed;
        await Promise.all(served.map((m) => m.close()));
        await model.close();
        logger.info("worker stopped");
      })();
      return stopping;
    },
  };
}
