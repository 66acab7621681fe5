/**
 * LoadModelOptions from the validated configuration's `model` section, so the
 * service, `radz infer`, `radz eval` and `radz worker` load a bundle the same
 * way (execution providers, threads, label overrides, calibration overlay,
 * embedding cache).
 */
import type { Config } from "../config/index.js";
import type { Logger } from "../observability/index.js";
import type { LoadModelOptions } from "./bundle-loader.js";

export function modelOptionsFromConfig(
  model: Config["model"],
  logger: Logger,
  overrides: Partial<LoadModelOptions> = {},
): LoadModelOptions {
  return {
    executionProviders: [...model.executionProviders],
    requireGpu: model.requireGpu,
    logger,
    embeddingCacheDir: model.embeddingCacheDir,
    labels: model.labels,
    ...(model.calibrationOverlay !== undefined
      ? { calibrationOverlay: model.calibrationOverlay }
      : {}),
    ...(model.adaptation !== undefined ? { adaptation: model.adaptation } : {}),
    intraOpThreads: model.intraOpThreads,
    graphOptimization: model.graphOptimization,
    spinning: model.spinning,
    ...overrides,
  };
}
