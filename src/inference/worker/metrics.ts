/**
 * Worker metrics (prom-client, one registry per worker, no global default
 * registry): batch sizes, queue and compute time per model, request counts
 * by tensor encoding and outcome, queue depth and the execution provider.
 * Labels carry model names and encodings only, never request contents.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { BatchObservation } from "./dynamic-batcher.js";

export interface WorkerMetrics {
  readonly registry: Registry;
  observeBatch(model: string, o: BatchObservation): void;
  countRequest(model: string, encoding: "json" | "binary", outcome: "ok" | "error"): void;
  setQueueDepth(model: string, depth: number): void;
  setExecutionProvider(model: string, ep: string): void;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "radz_worker_" });
  const batchSize = new Histogram({
    name: "radz_worker_batch_size",
    help: "Rows per executed batch.",
    labelNames: ["model"],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [registry],
  });
  const requestsPerBatch = new Histogram({
    name: "radz_worker_batch_requests",
    help: "Inference requests merged into one executed batch.",
    labelNames: ["model"],
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [registry],
  });
  const queueSeconds = new Histogram({
    name: "radz_worker_queue_seconds",
    help: "Time a request waited in the dynamic batcher before its batch started.",
    labelNames: ["model"],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const computeSeconds = new Histogram({
    name: "radz_worker_compute_seconds",
    help: "Time one batch spent in the model (onnxruntime run).",
    labelNames: ["model"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const batchFailures = new Counter({
    name: "radz_worker_batch_failures_total",
    help: "Batches whose model run failed.",
    labelNames: ["model"],
    registers: [registry],
  });
  const requests = new Counter({
    name: "radz_worker_requests_total",
    help: "Inference requests by input encoding (json or binary tensor data) and outcome.",
    labelNames: ["model", "encoding", "outcome"],
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: "radz_worker_queue_depth",
    help: "Requests waiting in the dynamic batcher.",
    labelNames: ["model"],
    registers: [registry],
  });
  const ep = new Gauge({
    name: "radz_worker_execution_provider",
    help: "1 for the onnxruntime execution provider each model runs on.",
    labelNames: ["model", "execution_provider"],
    registers: [registry],
  });
  return {
    registry,
    observeBatch(model, o) {
      batchSize.observe({ model }, o.batchSize);
      requestsPerBatch.observe({ model }, o.requests);
      for (const q of o.queueMs) queueSeconds.observe({ model }, q / 1000);
      computeSeconds.observe({ model }, o.computeMs / 1000);
      if (!o.ok) batchFailures.inc({ model });
    },
    countRequest(model, encoding, outcome) {
      requests.inc({ model, encoding, outcome });
    },
    setQueueDepth(model, depth) {
      queueDepth.set({ model }, depth);
    },
    setExecutionProvider(model, executionProvider) {
      ep.set({ model, execution_provider: executionProvider }, 1);
    },
  };
}
