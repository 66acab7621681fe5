/**
 * The remote backend: image embeddings from Open Inference Protocol
 * endpoints (`radz worker`, Triton, KServe), spread over a list of them.
 *
 * - Readiness probing: an endpoint is used once GET /v2/health/ready,
 *   GET /v2/models/{model} (input/output names, datatypes and shapes match
 *   the bundle) and GET /v2/models/{model}/ready all agree. GET /v2 says
 *   whether it speaks the binary tensor data extension; without it, tensors
 *   go as JSON.
 * - Spreading: each batch goes to the ready endpoint with the fewest
 *   outstanding requests (ties rotate).
 * - Failures: a connection error, timeout, malformed answer or 5xx takes the
 *   endpoint out ("down") and the batch is retried on another; 401/403/404
 *   mark it "unready" (wrong token or model); 429/503 (busy) retry elsewhere
 *   without taking it out; 400 is the request's fault and fails at once
 *   (INFERENCE_REMOTE_REJECTED). Endpoints that are out are probed every
 *   probeIntervalMs and come back when ready again.
 * - When no endpoint is ready the call probes them all once, then fails with
 *   INFERENCE_REMOTE_UNAVAILABLE (transient: the job runner retries the study).
 */
import { RadzError, toRadzError } from "../../errors.js";
import { splitPatchGrids, type ImageEncoding } from "../../model/index.js";
import type { Logger } from "../../observability/index.js";
import type { BackendDescription, BackendEndpointState, InferenceBackend } from "../backend.js";
import type { DecodedResponse } from "../oip/codec.js";
import { OipFormatError } from "../oip/datatypes.js";
import { BINARY_EXTENSION, type OipModelMetadata } from "../oip/types.js";
import { TransportError } from "./http-transport.js";
import { OipClient, OipHttpError } from "./oip-client.js";

export interface RemoteEndpointConfig {
  readonly url: string;
  readonly token?: string | undefined;
}

export interface RemoteBackendOptions {
  readonly endpoints: readonly RemoteEndpointConfig[];
  /** Served model name (radz worker and export-triton: "<bundle id>-image"). */
  readonly modelName: string;
  readonly modelVersion?: string | undefined;
  readonly inputName: string;
  readonly outputName: string;
  /**
   * The bundle's spatial output (imageEncoder.spatialOutputName) and its
   * [h, w]: requested by encodeImages, and required of every endpoint's model.
   */
  readonly spatial?: { readonly outputName: string; readonly grid: readonly [number, number] };
  /** [C, H, W] of one image. */
  readonly inputShape: readonly [number, number, number];
  readonly embeddingSize: number;
  /** Per-request deadline (one HTTP exchange). */
  readonly timeoutMs: number;
  /** Tries per batch, across endpoints. */
  readonly maxAttempts: number;
  readonly probeIntervalMs: number;
  /** Largest batch sent in one request; larger calls are split. */
  readonly maxBatch: number;
  /** Use the binary tensor data extension where the endpoint offers it. */
  readonly binary: boolean;
  readonly logger: Logger;
}

type EndpointStatus = BackendEndpointState["state"];
type Verdict = "fatal" | "down" | "unready" | "busy";

class Endpoint {
  state: EndpointStatus = "unknown";
  outstanding = 0;
  reason: string | undefined;
  binary = false;
  probing: Promise<void> | undefined;
  constructor(readonly client: OipClient) {}
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RemoteBackend implements InferenceBackend {
  private readonly endpoints: Endpoint[];
  private readonly perImage: number;
  private readonly probeTimeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private rotate = 0;
  private requestId = 0;
  private closed = false;

  constructor(private readonly opts: RemoteBackendOptions) {
    if (opts.endpoints.length === 0)
      throw new RadzError(
        "CONFIG_INVALID",
        "the remote inference backend needs at least one endpoint",
      );
    this.endpoints = opts.endpoints.map(
      (e) =>
        new Endpoint(
          new OipClient({
            url: e.url,
            token: e.token,
            maxResponseBytes: inferResponseCap(
              opts.maxBatch,
              opts.embeddingSize *
                (1 + (opts.spatial ? opts.spatial.grid[0] * opts.spatial.grid[1] : 0)),
            ),
          }),
        ),
    );
    const [c, h, w] = opts.inputShape;
    this.perImage = c * h * w;
    this.probeTimeoutMs = Math.min(opts.timeoutMs, 5_000);
  }

  /** Probes every endpoint once and starts the periodic re-probe of those that are out. */
  async start(): Promise<void> {
    await this.probeAll();
    this.timer = setInterval(() => {
      for (const ep of this.endpoints) if (ep.state !== "ready") void this.probe(ep);
    }, this.opts.probeIntervalMs);
    this.timer.unref();
    const ready = this.endpoints.filter((e) => e.state === "ready").length;
    const log =
      ready > 0
        ? this.opts.logger.info.bind(this.opts.logger)
        : this.opts.logger.warn.bind(this.opts.logger);
    log(
      { model: this.opts.modelName, ready, endpoints: this.endpoints.length },
      "remote inference backend started",
    );
  }

  describe(): BackendDescription {
    return {
      kind: "remote",
      executionProvider: "remote",
      ready: this.endpoints.some((e) => e.state === "ready"),
      modelName: this.opts.modelName,
      endpoints: this.endpoints.map((e) => ({
        url: e.client.display,
        state: e.state,
        outstanding: e.outstanding,
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
        binary: e.binary,
      })),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled(this.endpoints.flatMap((e) => (e.probing ? [e.probing] : [])));
    for (const e of this.endpoints) e.client.close();
  }

  async embedImages(
    inputs: readonly Float32Array[],
    signal?: AbortSignal,
  ): Promise<Float32Array[]> {
    return (await this.run(inputs, false, signal)).map((e) => e.embedding);
  }

  async encodeImages(
    inputs: readonly Float32Array[],
    signal?: AbortSignal,
  ): Promise<ImageEncoding[]> {
    return this.run(inputs, this.opts.spatial !== undefined, signal);
  }

  private async run(
    inputs: readonly Float32Array[],
    spatial: boolean,
    signal: AbortSignal | undefined,
  ): Promise<ImageEncoding[]> {
    if (this.closed) throw new RadzError("INFERENCE_FAILED", "the remote backend has been closed");
    inputs.forEach((x, i) => {
      if (x.length !== this.perImage)
        throw new RadzError(
          "INPUT_INVALID",
          `input ${i} has ${x.length} values; the model needs [${this.opts.inputShape.join(", ")}] = ${this.perImage}`,
        );
    });
    const chunks: Float32Array[][] = [];
    for (let i = 0; i < inputs.length; i += this.opts.maxBatch)
      chunks.push(inputs.slice(i, i + this.opts.maxBatch));
    const rows = await Promise.all(chunks.map((c) => this.runBatch(c, spatial, signal)));
    return rows.flat();
  }

  private setState(ep: Endpoint, state: EndpointStatus, reason?: string): void {
    const before = ep.state;
    ep.state = state;
    ep.reason = state === "ready" ? undefined : reason;
    if (before === state) return;
    const fields = { endpoint: ep.client.display, from: before, to: state, reason };
    if (state === "ready") this.opts.logger.info(fields, "inference endpoint ready");
    else this.opts.logger.warn(fields, "inference endpoint taken out");
  }

  /** Problems that make an endpoint's model unusable for this bundle; empty when it fits. */
  private metadataProblem(meta: OipModelMetadata): string | undefined {
    const { inputName, outputName, inputShape, embeddingSize } = this.opts;
    const input = meta.inputs.find((t) => t.name === inputName);
    if (!input)
      return `model "${meta.name}" has no input "${inputName}" (it has: ${meta.inputs.map((t) => t.name).join(", ")})`;
    const want = [-1, ...inputShape];
    const fits = (shape: readonly number[], expected: readonly number[]) =>
      shape.length === expected.length &&
      expected.every((d, i) => i === 0 || shape[i] === -1 || shape[i] === d);
    if (input.datatype !== "FP32" || !fits(input.shape, want))
      return `input "${inputName}" is ${input.datatype} [${input.shape.join(", ")}]; the bundle needs FP32 [-1, ${inputShape.join(", ")}]`;
    const output = meta.outputs.find((t) => t.name === outputName);
    if (!output)
      return `model "${meta.name}" has no output "${outputName}" (it has: ${meta.outputs.map((t) => t.name).join(", ")})`;
    if (output.datatype !== "FP32" || !fits(output.shape, [-1, embeddingSize]))
      return `output "${outputName}" is ${output.datatype} [${output.shape.join(", ")}]; the bundle needs FP32 [-1, ${embeddingSize}]`;
    const spatial = this.opts.spatial;
    if (spatial) {
      const patches = meta.outputs.find((t) => t.name === spatial.outputName);
      const want = [-1, ...spatial.grid, embeddingSize];
      if (!patches)
        return `model "${meta.name}" has no output "${spatial.outputName}" (the bundle's spatial output)`;
      if (patches.datatype !== "FP32" || !fits(patches.shape, want))
        return `output "${spatial.outputName}" is ${patches.datatype} [${patches.shape.join(", ")}]; the bundle needs FP32 [${want.join(", ")}]`;
    }
    return undefined;
  }

  private probe(ep: Endpoint): Promise<void> {
    ep.probing ??= (async () => {
      const t = this.probeTimeoutMs;
      const { modelName, modelVersion } = this.opts;
      try {
        if (!(await ep.client.serverReady(t))) {
          this.setState(ep, "unready", "server not ready");
          return;
        }
        let binary = false;
        if (this.opts.binary) {
          const server = await ep.client.serverMetadata(t);
          binary = server.extensions.includes(BINARY_EXTENSION);
        }
        const problem = this.metadataProblem(
          await ep.client.modelMetadata(modelName, modelVersion, t),
        );
        if (problem) {
          this.setState(ep, "unready", problem);
          return;
        }
        if (!(await ep.client.modelReady(modelName, modelVersion, t))) {
          this.setState(ep, "unready", `model "${modelName}" not ready`);
          return;
        }
        ep.binary = binary;
        this.setState(ep, "ready");
      } catch (err) {
        this.setState(ep, err instanceof TransportError ? "down" : "unready", message(err));
      }
    })().finally(() => {
      ep.probing = undefined;
    });
    return ep.probing;
  }

  private async probeAll(): Promise<void> {
    await Promise.all(this.endpoints.filter((e) => e.state !== "ready").map((e) => this.probe(e)));
  }

  /** The ready endpoint with the fewest outstanding requests, preferring ones not yet tried. */
  private pick(tried: ReadonlySet<Endpoint>): Endpoint | undefined {
    const n = this.endpoints.length;
    const start = this.rotate++ % n;
    let best: Endpoint | undefined;
    let bestTried: Endpoint | undefined;
    for (let k = 0; k < n; k++) {
      const ep = this.endpoints[(start + k) % n]!;
      if (ep.state !== "ready") continue;
      if (tried.has(ep)) {
        if (!bestTried || ep.outstanding < bestTried.outstanding) bestTried = ep;
      } else if (!best || ep.outstanding < best.outstanding) {
        best = ep;
      }
    }
    return best ?? bestTried;
  }

  private verdict(err: unknown): Verdict {
    if (err instanceof TransportError) return "down";
    if (err instanceof OipFormatError) return "down";
    if (err instanceof OipHttpError) {
      if (err.status === 400) return "fatal";
      if (err.status === 401 || err.status === 403 || err.status === 404) return "unready";
      if (err.status === 429 || err.status === 503) return "busy";
      return "down";
    }
    return "fatal";
  }

  private async runBatch(
    images: readonly Float32Array[],
    spatial: boolean,
    signal?: AbortSignal,
  ): Promise<ImageEncoding[]> {
    const { modelName, modelVersion, inputName, outputName, inputShape } = this.opts;
    const tried = new Set<Endpoint>();
    let last: unknown;
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      signal?.throwIfAborted();
      let ep = this.pick(tried);
      if (!ep) {
        await this.probeAll();
        ep = this.pick(tried);
      }
      if (!ep) break;
      if (tried.has(ep)) await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
      tried.add(ep);
      ep.outstanding++;
      const id = String(++this.requestId);
      try {
        const response = await ep.client.infer(modelName, modelVersion, {
          id,
          inputs: [
            {
              name: inputName,
              datatype: "FP32",
              shape: [images.length, ...inputShape],
              parts: images,
            },
          ],
          outputs: [
            { name: outputName, binary: ep.binary },
            ...(spatial && this.opts.spatial
              ? [{ name: this.opts.spatial.outputName, binary: ep.binary }]
              : []),
          ],
          binaryInputs: ep.binary,
          timeoutMs: this.opts.timeoutMs,
          signal,
        });
        const rows = this.rows(response, images.length, id);
        const patches = spatial ? this.patches(response, images.length) : undefined;
        return rows.map((embedding, i) => ({
          embedding,
          ...(patches ? { patches: patches[i]! } : {}),
        }));
      } catch (err) {
        if (signal?.aborted) throw toRadzError(signal.reason ?? err, "INFERENCE_FAILED");
        last = err;
        const v = this.verdict(err);
        if (err instanceof TransportError && err.kind === "too-large") {
          this.setState(ep, "down", message(err));
          throw new RadzError(
            "INFERENCE_REMOTE_RESPONSE_TOO_LARGE",
            `${ep.client.display} answered with more than RadZ reads: ${err.message}`,
            { cause: err },
          );
        }
        if (v === "fatal") {
          if (err instanceof OipHttpError)
            throw new RadzError(
              "INFERENCE_REMOTE_REJECTED",
              `${ep.client.display} refused the request: ${err.message}`,
              { cause: err },
            );
          throw toRadzError(err, "INFERENCE_FAILED");
        }
        if (v === "down" || v === "unready") this.setState(ep, v, message(err));
        this.opts.logger.debug(
          { endpoint: ep.client.display, attempt, verdict: v, err: message(err) },
          "inference request failed; retrying",
        );
      } finally {
        ep.outstanding--;
      }
    }
    const timedOut = last instanceof TransportError && last.kind === "timeout";
    throw new RadzError(
      timedOut ? "INFERENCE_REMOTE_TIMEOUT" : "INFERENCE_REMOTE_UNAVAILABLE",
      last === undefined
        ? `no inference endpoint is ready for model "${modelName}" (${this.endpoints.map((e) => `${e.client.display}: ${e.state}${e.reason ? ` (${e.reason})` : ""}`).join("; ")})`
        : `inference for model "${modelName}" failed on every attempt; last: ${message(last)}`,
      { cause: last },
    );
  }

  /** The spatial output split per image, checked for type, shape and finiteness. */
  private patches(response: DecodedResponse, n: number): ReturnType<typeof splitPatchGrids> {
    const spatial = this.opts.spatial!;
    const out = response.outputs.find((o) => o.name === spatial.outputName);
    if (!out) throw new OipFormatError(`the response has no output "${spatial.outputName}"`);
    if (out.datatype !== "FP32")
      throw new OipFormatError(`output "${out.name}" is ${out.datatype}; expected FP32`);
    return splitPatchGrids(
      { dims: out.shape, data: out.data },
      n,
      this.opts.embeddingSize,
      spatial.grid,
    );
  }

  /** Rows of the embedding output, checked for name, type, shape and finiteness. */
  private rows(response: DecodedResponse, n: number, id: string): Float32Array[] {
    const d = this.opts.embeddingSize;
    if (response.id !== undefined && response.id !== id)
      throw new OipFormatError(`the response id "${response.id}" is not the request's "${id}"`);
    const out = response.outputs.find((o) => o.name === this.opts.outputName);
    if (!out) throw new OipFormatError(`the response has no output "${this.opts.outputName}"`);
    if (
      out.datatype !== "FP32" ||
      out.shape.length !== 2 ||
      out.shape[0] !== n ||
      out.shape[1] !== d
    )
      throw new OipFormatError(
        `output "${out.name}" is ${out.datatype} [${out.shape.join(", ")}]; expected FP32 [${n}, ${d}]`,
      );
    const data = out.data as Float32Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!))
        throw new RadzError(
          "INFERENCE_BAD_OUTPUT",
          "the remote image encoder output contains NaN or Inf",
        );
    }
    const rows: Float32Array[] = [];
    for (let i = 0; i < n; i++) rows.push(data.slice(i * d, (i + 1) * d));
    return rows;
  }
}

/**
 * The most RadZ reads of an inference answer (the bounded reader): a batch of
 * outputs as JSON (up to 32 characters a value; per image the embedding, and
 * with a spatial output its h x w patch embeddings too) plus 1 MiB for the rest.
 */
export function inferResponseCap(maxBatch: number, valuesPerImage: number): number {
  return maxBatch * valuesPerImage * 32 + 1024 * 1024;
}
