/**
 * `radz worker`: serves a bundle's encoders over the Open Inference Protocol
 * (KServe v2, as Triton speaks it) for listeners with inference.backend
 * "remote". Prints one line with its URL on stdout once it serves; stops
 * cleanly (draining in-flight requests) on SIGTERM or SIGINT.
 */
import { InvalidArgumentError, type Command } from "commander";
import { startWorker } from "../inference/index.js";
import { addCommonOptions, configFrom, loggerFor, type CommonOptions } from "./common.js";

interface WorkerOptions extends CommonOptions {
  bundle?: string;
  port?: number;
  host?: string;
  requireGpu?: boolean;
  maxBatch?: number;
  maxQueueDelayMs?: number;
  maxQueue?: number;
  text?: boolean;
}

function integer(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < min || n > max)
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

function milliseconds(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 10_000)
    throw new InvalidArgumentError("must be a number of milliseconds from 0 to 10000");
  return n;
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      resolve(sig);
    };
    const onTerm = () => on("SIGTERM");
    const onInt = () => on("SIGINT");
    process.once("SIGTERM", onTerm);
    process.once("SIGINT", onInt);
  });
}

export function registerWorkerCommand(program: Command): void {
  addCommonOptions(
    program
      .command("worker")
      .description(
        "Serve a bundle's image (and text) encoder over the Open Inference Protocol (KServe v2 /\n" +
          "Triton HTTP/REST, binary tensor data extension) as '<bundle id>-image' and '<bundle id>-text'.\n" +
          "Needs worker.tokens (bearer tokens, sha256) unless worker.allowUnauthenticated.",
      )
      .option("-b, --bundle <dir>", "model bundle directory (overrides model.bundle)")
      .option("--port <port>", "port (overrides worker.port; 0 = any free port)", integer(0, 65535))
      .option("--host <address>", "address to listen on (overrides worker.host)")
      .option(
        "--require-gpu",
        "fail at start (GPU_UNAVAILABLE) unless the CUDA execution provider loads",
      )
      .option(
        "--max-batch <n>",
        "most rows per model run (overrides worker.maxBatch)",
        integer(1, 1024),
      )
      .option(
        "--max-queue-delay-ms <ms>",
        "how long a request waits for others to fill a batch (overrides worker.maxQueueDelayMs)",
        milliseconds,
      )
      .option(
        "--max-queue <n>",
        "requests waiting per model before HTTP 503 (overrides worker.maxQueueSize)",
        integer(1, 1_000_000),
      )
      .option("--no-text", "do not serve the text encoder"),
  ).action(async (opts: WorkerOptions) => {
    const worker: Record<string, unknown> = {};
    if (opts.port !== undefined) worker.port = opts.port;
    if (opts.host !== undefined) worker.host = opts.host;
    if (opts.maxBatch !== undefined) worker.maxBatch = opts.maxBatch;
    if (opts.maxQueueDelayMs !== undefined) worker.maxQueueDelayMs = opts.maxQueueDelayMs;
    if (opts.maxQueue !== undefined) worker.maxQueueSize = opts.maxQueue;
    const model: Record<string, unknown> = {};
    if (opts.bundle !== undefined) model.bundle = opts.bundle;
    if (opts.requireGpu) model.requireGpu = true;
    const config = configFrom(opts, { worker, model });
    const logger = loggerFor(config);
    const w = config.worker;
    const running = await startWorker({
      bundleDir: config.model.bundle,
      host: w.host,
      port: w.port,
      executionProviders: config.model.executionProviders,
      requireGpu: config.model.requireGpu,
      maxBatch: w.maxBatch,
      maxQueueDelayMs: w.maxQueueDelayMs,
      maxQueueSize: w.maxQueueSize,
      maxRequestBytes: w.maxRequestBytes,
      tokens: w.tokens,
      allowUnauthenticated: w.allowUnauthenticated,
      limits: w,
      serveTextEncoder: opts.text !== false,
      embeddingCacheDir: config.model.embeddingCacheDir,
      logger,
    });
    process.stdout.write(
      `radz worker listening on ${running.url} (models: ${running.models.join(", ")}; execution provider: ${running.executionProvider})\n`,
    );
    const signal = await untilSignal();
    logger.info({ signal }, "worker stopping");
    await running.stop();
  });
}
