/**
 * The model bundle (loads, every file matches its sha256 in bundle.json, the
 * warm-up run is sane) and the execution provider it runs on; with
 * inference.backend "remote", the endpoints' readiness (GET /v2/health/ready).
 */
import type { Config } from "../../config/index.js";
import { toRadzError } from "../../errors.js";
import { loadModel, modelOptionsFromConfig, type ZeroShotModel } from "../../model/index.js";
import { silentLogger } from "../../observability/index.js";
import { probe } from "../probe.js";
import { result, type CheckResult } from "../types.js";

export type ModelLoader = typeof loadModel;

export async function checkModel(
  config: Config,
  options: { loadModel?: ModelLoader; timeoutMs: number },
): Promise<CheckResult[]> {
  const load = options.loadModel ?? loadModel;
  const dir = config.model.bundle;
  let model: ZeroShotModel;
  try {
    model = await load(dir, modelOptionsFromConfig(config.model, silentLogger()));
  } catch (err) {
    const e = toRadzError(err);
    if (e.code === "GPU_UNAVAILABLE") {
      // Files are verified before sessions open: the bundle itself is fine.
      return [
        result(
          "bundle",
          "ok",
          `bundle ${dir}: files match their sha256 (sessions not opened: see execution provider)`,
        ),
        result(
          "execution-provider",
          "fail",
          `model.requireGpu is set but CUDA is not usable: ${e.message}`,
          {
            fix: "install the CUDA 12 build of onnxruntime-node and NVIDIA's libraries (docs/gpu.md), or set model.requireGpu to false",
            details: { code: e.code },
          },
        ),
      ];
    }
    return [
      result("bundle", "fail", `bundle ${dir} does not load: ${e.code}: ${e.message}`, {
        fix:
          e.code === "BUNDLE_HASH_MISMATCH"
            ? "a bundle file was changed or corrupted after bundle.json was written: restore the bundle from its source"
            : "check model.bundle and the bundle's files (docs/models.md)",
        details: { code: e.code },
      }),
      result("execution-provider", "skip", "the bundle did not load"),
    ];
  }
  try {
    const id = model.identity;
    const checks: CheckResult[] = [
      result(
        "bundle",
        "ok",
        `bundle ${id.id} ${id.version}: every file matches its sha256, ${model.labels.length} labels, warm-up run sane${id.synthetic ? " (synthetic demonstration bundle: not a real model)" : ""}`,
        {
          details: {
            id: id.id,
            version: id.version,
            labelSetHash: id.labelSetHash,
            synthetic: id.synthetic,
          },
        },
      ),
    ];
    const wanted = config.model.executionProviders;
    const ep = id.executionProvider;
    if (config.inference.backend === "remote") {
      const endpoints = config.inference.endpoints;
      const ready: string[] = [];
      for (const e of endpoints) {
        const r = await probe(
          (u, i) => fetch(u, i),
          `${e.url.replace(/\/+$/, "")}/v2/health/ready`,
          {
            timeoutMs: options.timeoutMs,
          },
        );
        if (r.kind === "answer" && r.status === 200) ready.push(e.url);
      }
      checks.push(
        ready.length > 0
          ? result(
              "execution-provider",
              ready.length === endpoints.length ? "ok" : "warn",
              `remote inference: ${ready.length} of ${endpoints.length} endpoints ready`,
              {
                details: { ready, endpoints: endpoints.map((e) => e.url) },
              },
            )
          : result(
              "execution-provider",
              "fail",
              `remote inference: none of ${endpoints.length} endpoints is ready (GET /v2/health/ready)`,
              {
                fix: "start `radz worker` (or Triton/KServe) on the GPU nodes and check inference.endpoints",
                details: { endpoints: endpoints.map((e) => e.url) },
              },
            ),
      );
    } else if (wanted[0] === "cuda" && ep !== "cuda") {
      checks.push(
        result("execution-provider", "warn", `CUDA was asked for but the model runs on ${ep}`, {
          fix: "see docs/gpu.md (CUDA build of onnxruntime-node, NVIDIA driver); set model.requireGpu to make this an error",
          details: { requested: wanted, actual: ep },
        }),
      );
    } else {
      checks.push(
        result("execution-provider", "ok", `image encoder runs on ${ep}`, {
          details: { requested: wanted, actual: ep },
        }),
      );
    }
    return checks;
  } finally {
    await model.close();
  }
}
