/**
 * Inference fault injection.
 *
 * In process: `withInferenceFaults(model, { failureRate, latencyMs, seed })`
 * wraps a ZeroShotModel so that encodeImages / scoreImages / embedImages calls take longer
 * and fail (INFERENCE_FAILED, transient) at a seeded rate; pass it to the
 * service as createService(config, logger, { wrapModel }).
 *
 * Over the network: a real `radz worker` (src/inference startWorker) behind
 * `startFaultyPacs` (faulty-pacs.ts) is a mock inference node: script
 * `{ match: "POST /v2/models/*\/infer", fault: "http-error", probability: 0.3 }`
 * or `{ ..., fault: "delay", delayMs: 500 }`.
 */
import { seededRandom } from "../src/synthetic/prng.js";
import { RadzError } from "../src/errors.js";
import type { ZeroShotModel } from "../src/model/index.js";

export interface InferenceFaultOptions {
  /** Probability that a call fails (default 0). */
  readonly failureRate?: number;
  /** The first N calls fail (before failureRate applies). */
  readonly failFirst?: number;
  /** Added latency per call: fixed ms, or [min, max] drawn uniformly (default 0). */
  readonly latencyMs?: number | readonly [number, number];
  /** Seed of the failure/latency draws (default 1): the k-th call's fate is fixed. */
  readonly seed?: number;
  /** The error a failing call throws (default RadzError INFERENCE_FAILED). */
  readonly error?: () => Error;
}

export interface InferenceFaultStats {
  calls: number;
  failures: number;
}

export type FaultyModel = ZeroShotModel & { readonly faultStats: InferenceFaultStats };

export function withInferenceFaults(
  model: ZeroShotModel,
  options: InferenceFaultOptions = {},
): FaultyModel {
  const random = seededRandom(options.seed ?? 1);
  const stats: InferenceFaultStats = { calls: 0, failures: 0 };
  const latency = (): number => {
    const l = options.latencyMs ?? 0;
    if (typeof l === "number") return l;
    return l[0] + random() * (l[1] - l[0]);
  };
  async function faulty<T>(call: () => Promise<T>): Promise<T> {
    const n = ++stats.calls;
    const fail = n <= (options.failFirst ?? 0) || random() < (options.failureRate ?? 0);
    const wait = latency();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (fail) {
      stats.failures++;
      throw (
        options.error?.() ??
        new RadzError(
          "INFERENCE_FAILED",
          "inference call failed (fault injected by mocks/inference)",
        )
      );
    }
    return call();
  }
  return new Proxy(model, {
    get(target, prop) {
      if (prop === "faultStats") return stats;
      if (prop === "scoreImages")
        return (inputs: readonly Float32Array[]) => faulty(() => target.scoreImages(inputs));
      if (prop === "embedImages")
        return (inputs: readonly Float32Array[]) => faulty(() => target.embedImages(inputs));
      if (prop === "encodeImages")
        return (inputs: readonly Float32Array[]) => faulty(() => target.encodeImages(inputs));
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as FaultyModel;
}
