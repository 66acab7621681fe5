/** Builds the configured inference backend for a loaded bundle. */
import { readFile } from "node:fs/promises";
import type { Config } from "../config/index.js";
import { RadzError } from "../errors.js";
import type { ZeroShotModel } from "../model/index.js";
import type { Logger } from "../observability/index.js";
import { LocalBackend, type InferenceBackend } from "./backend.js";
import { RemoteBackend } from "./remote/remote-backend.js";
import { imageModelName } from "./worker/served-model.js";

async function readToken(file: string, index: number): Promise<string> {
  try {
    return (await readFile(file, "utf8")).replace(/\r?\n$/, "");
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new RadzError(
      "SECRET_FILE_UNREADABLE",
      `inference.endpoints[${index}].tokenFile: cannot read ${file}${typeof code === "string" ? ` (${code})` : ""}`,
      { details: { file } },
    );
  }
}

/**
 * "local": the model's own session. "remote": a RemoteBackend over
 * inference.endpoints, probed once before this returns (endpoints that are
 * not ready yet are probed again every inference.probeIntervalMs).
 */
export async function createInferenceBackend(
  config: Pick<Config, "inference">,
  model: ZeroShotModel,
  logger: Logger,
): Promise<InferenceBackend> {
  const c = config.inference;
  if (c.backend === "local") return new LocalBackend(model);
  const endpoints = await Promise.all(
    c.endpoints.map(async (e, i) => ({
      url: e.url,
      token: e.token ?? (e.tokenFile ? await readToken(e.tokenFile, i) : undefined) ?? c.token,
    })),
  );
  const ie = model.manifest.imageEncoder;
  const backend = new RemoteBackend({
    endpoints,
    modelName: c.modelName ?? imageModelName(model.identity.id),
    modelVersion: c.modelVersion,
    inputName: ie.inputName,
    outputName: ie.outputName,
    ...(ie.spatialOutputName && model.patchGrid
      ? { spatial: { outputName: ie.spatialOutputName, grid: model.patchGrid } }
      : {}),
    inputShape: model.inputShape,
    embeddingSize: model.embeddingSize,
    timeoutMs: c.timeoutMs,
    maxAttempts: c.maxAttempts,
    probeIntervalMs: c.probeIntervalMs,
    maxBatch: c.maxBatch,
    binary: c.binary,
    logger: logger.child({ component: "inference" }),
  });
  await backend.start();
  return backend;
}
