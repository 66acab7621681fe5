/**
 * loadModel: reads and verifies a model bundle directory and returns a
 * ready ZeroShotModel (sessions open, label embeddings computed, warm-up run done).
 *
 * Order of checks, each failing with a typed error that names the problem:
 * bundle.json (BUNDLE_FILE_MISSING / BUNDLE_INVALID with every problem),
 * each file's presence and sha256 (BUNDLE_FILE_MISSING / BUNDLE_HASH_MISMATCH),
 * configuration labels merged into the bundle's (CONFIG_INVALID, label-config.ts)
 * and the calibration overlay (CALIBRATION_OVERLAY_INVALID, calibration-overlay.ts),
 * sessions and execution provider (GPU_UNAVAILABLE), encoder inputs/outputs
 * against bundle.json and the preprocess spec (BUNDLE_MODEL_MISMATCH), label
 * embeddings (BUNDLE_LABEL_EMBEDDING_MISSING), then a warm-up run whose output
 * must be finite and of the declared shape (INFERENCE_BAD_OUTPUT).
 *
 * The returned model's manifest, labels and identity.labelSetHash are the
 * effective ones (bundle + configuration labels + overlay). embedImages and
 * scoreEmbeddings are the stable surface remote backends and the
 * micro-batcher (inference/) build on.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { RadzError } from "../errors.js";
import type { PreprocessSpec } from "../imaging/index.js";
import type { Logger } from "../observability/index.js";
import { parseBundleManifest, type BundleLabel, type BundleManifest } from "./bundle-schema.js";
import { verifiedBundleFile } from "./bundle-files.js";
import {
  applyAdaptation,
  parseAdaptation,
  readAdaptation,
  type Adaptation,
  type LogitAdapter,
} from "./adaptation.js";
import {
  applyCalibrationOverlay,
  readCalibrationOverlay,
  type CalibrationOverlay,
} from "./calibration-overlay.js";
import { mergeLabelDefinitions, type LabelDefinition } from "./label-config.js";
import {
  assembleScoringLabels,
  computeLabelEmbeddings,
  labelTexts,
  readPrecomputedEmbeddings,
  readTextEmbeddingCache,
  textCacheKey,
  textKey,
  writeTextEmbeddingCache,
  type LabelEmbeddingSet,
} from "./label-embeddings.js";
import { labelSetHash } from "./label-set.js";
import {
  dimAccepts,
  formatShape,
  openSession,
  tensorMetadata,
  type ExecutionProviderName,
  type GraphOptimization,
} from "./onnx-session.js";
import { openSessionThread, type EncoderSession, type SessionOutput } from "./session-thread.js";
import { BundleTextEncoder } from "./text-encoder.js";
import type { ImageEncoding, LabelScore, ModelIdentity, PatchGrid } from "./types.js";
import { patchLogits, scoreEmbedding, type ScoringLabel } from "./zero-shot.js";

export const BUNDLE_MANIFEST_FILE = "bundle.json";

export interface LoadModelOptions {
  /** In order of preference; CUDA that fails is skipped unless requireGpu. */
  readonly executionProviders: readonly ExecutionProviderName[];
  readonly requireGpu: boolean;
  readonly logger: Logger;
  /** Where computed text embeddings are cached between starts (optional). */
  readonly embeddingCacheDir?: string;
  /** Labels added to or overriding the bundle's (config model.labels). */
  readonly labels?: readonly LabelDefinition[];
  /** A calibration overlay (path or parsed) applied over the labels' calibration and thresholds. */
  readonly calibrationOverlay?: string | CalibrationOverlay;
  /**
   * Uncalibrated scores: every label's calibration is "none" (probability =
   * sigmoid(raw logit)) and any overlay is ignored. For fitting calibration.
   */
  readonly rawScores?: boolean;
  /**
   * A site adaptation (path or parsed, from radz adapt): a few-shot term added
   * to the labels' raw logits and their calibration and thresholds. Ignored
   * with rawScores.
   */
  readonly adaptation?: string | Adaptation;
  /** onnxruntime intra-op threads (0 or absent: onnxruntime's default). */
  readonly intraOpThreads?: number;
  readonly graphOptimization?: GraphOptimization;
  /** Whether onnxruntime's pool threads spin while waiting (default false; onnx-session.ts). */
  readonly spinning?: boolean;
  /**
   * Run the image encoder's session on a worker thread of its own, so that
   * the calling thread's event loop runs during inference (session-thread.ts;
   * the service sets it from model.sessionThread). Default false: on the
   * calling thread.
   */
  readonly sessionThread?: boolean;
}

export interface ZeroShotModel {
  readonly identity: ModelIdentity;
  readonly manifest: BundleManifest;
  readonly preprocess: PreprocessSpec;
  readonly labels: readonly BundleLabel[];
  /** [channels, size, size]: the shape of one input tensor (without batch). */
  readonly inputShape: readonly [number, number, number];
  readonly embeddingSize: number;
  /** One batched run; per input, one LabelScore per label in bundle order. */
  scoreImages(inputs: readonly Float32Array[]): Promise<LabelScore[][]>;
  /** [h, w] of the patch grid when the bundle declares a spatial output (imageEncoder.spatialOutputName). */
  readonly patchGrid: readonly [number, number] | null;
  /** One batched run; the image encoder's raw output row per input. */
  embedImages(inputs: readonly Float32Array[]): Promise<Float32Array[]>;
  /** One batched run; per input its embedding and, with a spatial output, its patch embeddings. */
  encodeImages(inputs: readonly Float32Array[]): Promise<ImageEncoding[]>;
  /** Scores embeddings obtained elsewhere (a remote backend); no session needed. */
  scoreEmbeddings(embeddings: readonly ArrayLike<number>[]): LabelScore[][];
  /** Per-patch raw logits of the named labels (similarity maps, [h * w] each), in `labelIds` order. */
  patchLogits(patches: PatchGrid, labelIds: readonly string[]): Float32Array[];
  close(): Promise<void>;
}

/** Reads and validates dir/bundle.json. */
export async function readBundleManifest(dir: string): Promise<BundleManifest> {
  let text: string;
  try {
    text = await readFile(path.join(dir, BUNDLE_MANIFEST_FILE), "utf8");
  } catch (err) {
    throw new RadzError(
      "BUNDLE_FILE_MISSING",
      `bundle file "${BUNDLE_MANIFEST_FILE}" is missing in the bundle directory`,
      {
        cause: err,
        details: { file: BUNDLE_MANIFEST_FILE },
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RadzError(
      "BUNDLE_INVALID",
      `bundle.json is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return parseBundleManifest(json);
}

function assertFinite(data: Float32Array, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!))
      throw new RadzError("INFERENCE_BAD_OUTPUT", `${what} contains NaN or Inf`);
  }
}

/**
 * Splits a batched spatial output [batch, h, w, dim] into one PatchGrid per
 * image (views of one copy). Also used for the same tensor from a remote backend.
 */
export function splitPatchGrids(
  tensor:
    | { readonly type?: string; readonly dims: readonly number[]; readonly data: unknown }
    | undefined,
  batch: number,
  dim: number,
  grid: readonly [number, number],
): PatchGrid[] {
  const dims = tensor?.dims ?? [];
  const [h, w] = grid;
  if (
    !tensor ||
    (tensor.type !== undefined && tensor.type !== "float32") ||
    !(tensor.data instanceof Float32Array) ||
    dims.length !== 4 ||
    dims[0] !== batch ||
    dims[1] !== h ||
    dims[2] !== w ||
    dims[3] !== dim ||
    tensor.data.length !== batch * h * w * dim
  ) {
    throw new RadzError(
      "INFERENCE_BAD_OUTPUT",
      `image encoder spatial output has shape ${formatShape(dims)}; expected [${batch}, ${h}, ${w}, ${dim}]`,
    );
  }
  const data = tensor.data.slice();
  assertFinite(data, "image encoder spatial output");
  const per = h * w * dim;
  return Array.from({ length: batch }, (_, i) => ({
    height: h,
    width: w,
    dim,
    data: data.subarray(i * per, (i + 1) * per),
  }));
}

class OnnxZeroShotModel implements ZeroShotModel {
  readonly preprocess: PreprocessSpec;
  readonly labels: readonly BundleLabel[];
  readonly inputShape: readonly [number, number, number];
  readonly embeddingSize: number;
  private closed = false;

  constructor(
    readonly identity: ModelIdentity,
    readonly manifest: BundleManifest,
    private readonly session: EncoderSession,
    private readonly scoringLabels: readonly ScoringLabel[],
    readonly patchGrid: readonly [number, number] | null,
  ) {
    this.preprocess = manifest.preprocess;
    this.labels = manifest.labels;
    this.inputShape = [
      manifest.preprocess.channels,
      manifest.preprocess.size,
      manifest.preprocess.size,
    ];
    this.embeddingSize = manifest.imageEncoder.embeddingSize;
  }

  async embedImages(inputs: readonly Float32Array[]): Promise<Float32Array[]> {
    return (await this.run(inputs, false)).map((e) => e.embedding);
  }

  async encodeImages(inputs: readonly Float32Array[]): Promise<ImageEncoding[]> {
    return this.run(inputs, this.patchGrid !== null);
  }

  private async run(inputs: readonly Float32Array[], spatial: boolean): Promise<ImageEncoding[]> {
    if (this.closed) throw new RadzError("INFERENCE_FAILED", "the model has been closed");
    if (inputs.length === 0) return [];
    const [c, h, w] = this.inputShape;
    const per = c * h * w;
    const batch = new Float32Array(per * inputs.length);
    inputs.forEach((x, i) => {
      if (x.length !== per) {
        throw new RadzError(
          "INPUT_INVALID",
          `input ${i} has ${x.length} values; the model needs [${c}, ${h}, ${w}] = ${per}`,
        );
      }
      batch.set(x, i * per);
    });
    const { inputName, outputName, spatialOutputName } = this.manifest.imageEncoder;
    const fetches = spatial && spatialOutputName ? [outputName, spatialOutputName] : [outputName];
    let result: Readonly<Record<string, SessionOutput>>;
    try {
      result = await this.session.run(
        { [inputName]: new ort.Tensor("float32", batch, [inputs.length, c, h, w]) },
        fetches,
      );
    } catch (err) {
      throw new RadzError(
        "INFERENCE_FAILED",
        `image encoder run failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    const out = result[outputName];
    const d = this.embeddingSize;
    const dims = out?.dims ?? [];
    if (
      !out ||
      out.type !== "float32" ||
      dims.length !== 2 ||
      dims[0] !== inputs.length ||
      dims[1] !== d
    ) {
      throw new RadzError(
        "INFERENCE_BAD_OUTPUT",
        `image encoder output has shape ${formatShape(dims)}; expected [${inputs.length}, ${d}]`,
      );
    }
    const data = out.data as Float32Array;
    assertFinite(data, "image encoder output");
    const patches =
      fetches.length > 1
        ? splitPatchGrids(result[fetches[1]!], inputs.length, d, this.patchGrid!)
        : undefined;
    return inputs.map((_, i) => ({
      embedding: data.slice(i * d, (i + 1) * d),
      ...(patches ? { patches: patches[i]! } : {}),
    }));
  }

  patchLogits(patches: PatchGrid, labelIds: readonly string[]): Float32Array[] {
    const which = labelIds.map((id) => {
      const k = this.scoringLabels.findIndex((l) => l.label.id === id);
      if (k < 0) throw new RangeError(`unknown label "${id}"`);
      return k;
    });
    return patchLogits(patches, this.scoringLabels, this.manifest.scoring, which);
  }

  scoreEmbeddings(embeddings: readonly ArrayLike<number>[]): LabelScore[][] {
    return embeddings.map((e) => {
      if (e.length !== this.embeddingSize) {
        throw new RadzError(
          "INFERENCE_BAD_OUTPUT",
          `embedding has ${e.length} values; the bundle declares ${this.embeddingSize}`,
        );
      }
      return scoreEmbedding(e, this.scoringLabels, this.manifest.scoring);
    });
  }

  async scoreImages(inputs: readonly Float32Array[]): Promise<LabelScore[][]> {
    return this.scoreEmbeddings(await this.embedImages(inputs));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}

/** Label embeddings from text (text encoder, through the cache) and from the precomputed file. */
async function labelEmbeddingSources(
  dir: string,
  manifest: BundleManifest,
  opts: LoadModelOptions,
  logger: Logger,
  precomputed: LabelEmbeddingSet | undefined,
): Promise<LabelEmbeddingSet[]> {
  const sources: LabelEmbeddingSet[] = [];
  const te = manifest.textEncoder;
  if (te) {
    const dim = manifest.imageEncoder.embeddingSize;
    const key = textCacheKey(manifest);
    const texts = labelTexts(manifest.labels);
    const cache = opts.embeddingCacheDir
      ? await readTextEmbeddingCache(opts.embeddingCacheDir, key, dim)
      : new Map<string, Float32Array>();
    const missing = texts.filter((t) => !cache.has(textKey(t)));
    if (missing.length > 0) {
      const encoder = await BundleTextEncoder.open(dir, te, dim, {
        executionProviders: opts.executionProviders,
        requireGpu: false,
        logger,
        ...sessionTuning(opts),
      });
      try {
        const vectors = await encoder.embed(missing);
        missing.forEach((t, i) => cache.set(textKey(t), vectors[i]!));
      } finally {
        await encoder.close();
      }
      if (opts.embeddingCacheDir) {
        await writeTextEmbeddingCache(opts.embeddingCacheDir, key, manifest, dim, cache);
      }
    } else {
      // The files the cache stands for must still be intact.
      await verifiedBundleFile(dir, te);
      await verifiedBundleFile(dir, te.tokenizer);
    }
    if (texts.length > 0) {
      logger.info(
        {
          texts: texts.length,
          fromCache: texts.length - missing.length,
          computed: missing.length,
          cacheKey: key.slice(0, 16),
        },
        missing.length === 0
          ? "label embeddings read from cache"
          : "label embeddings computed with the text encoder",
      );
    }
    sources.push(
      await computeLabelEmbeddings(manifest.labels, async (ts) =>
        ts.map((t) => cache.get(textKey(t))!),
      ),
    );
  }
  if (precomputed) sources.push(precomputed);
  return sources;
}

function sessionTuning(
  opts: LoadModelOptions,
): Pick<LoadModelOptions, "intraOpThreads" | "graphOptimization" | "spinning"> {
  return {
    ...(opts.intraOpThreads !== undefined ? { intraOpThreads: opts.intraOpThreads } : {}),
    ...(opts.graphOptimization !== undefined ? { graphOptimization: opts.graphOptimization } : {}),
    ...(opts.spinning !== undefined ? { spinning: opts.spinning } : {}),
  };
}

/** The bundle's manifest with config labels merged and calibration applied (overlay, or none when raw). */
async function effectiveManifest(
  bundle: BundleManifest,
  opts: LoadModelOptions,
  logger: Logger,
): Promise<{
  manifest: BundleManifest;
  textChanged: ReadonlySet<string>;
  adaptation?: {
    readonly id: string;
    readonly method: string;
    adapters: ReadonlyMap<string, LogitAdapter>;
  };
}> {
  const merged = mergeLabelDefinitions(bundle, opts.labels ?? []);
  if (merged.added.length + merged.overridden.length + merged.removed.length > 0) {
    logger.info(
      { added: merged.added, overridden: merged.overridden, removed: merged.removed },
      "labels from configuration merged into the bundle's",
    );
  }
  let manifest = merged.manifest;
  if (opts.rawScores) {
    manifest = {
      ...manifest,
      labels: manifest.labels.map((l) => ({ ...l, calibration: { method: "none" as const } })),
    };
  } else if (opts.calibrationOverlay !== undefined) {
    const overlay =
      typeof opts.calibrationOverlay === "string"
        ? await readCalibrationOverlay(opts.calibrationOverlay)
        : opts.calibrationOverlay;
    manifest = applyCalibrationOverlay(manifest, overlay);
    logger.info(
      { method: overlay.method, labels: Object.keys(overlay.labels) },
      "calibration overlay applied",
    );
  }
  if (!opts.rawScores && opts.adaptation !== undefined) {
    const a =
      typeof opts.adaptation === "string"
        ? await readAdaptation(opts.adaptation)
        : parseAdaptation(opts.adaptation);
    const applied = applyAdaptation(bundle, manifest, a);
    logger.info(
      { adaptation: a.id, method: a.method.name, labels: Object.keys(a.labels) },
      "site adaptation applied",
    );
    return {
      manifest: applied.manifest,
      textChanged: merged.textChanged,
      adaptation: { id: a.id, method: a.method.name, adapters: applied.adapters },
    };
  }
  return { manifest, textChanged: merged.textChanged };
}

export async function loadModel(dir: string, opts: LoadModelOptions): Promise<ZeroShotModel> {
  const logger = opts.logger.child({ component: "model" });
  const bundleManifest = await readBundleManifest(dir);
  const ie = bundleManifest.imageEncoder;

  // Integrity first: every file present and matching its hash before anything is executed.
  const imagePath = await verifiedBundleFile(dir, ie);
  if (bundleManifest.textEncoder) {
    await verifiedBundleFile(dir, bundleManifest.textEncoder);
    await verifiedBundleFile(dir, bundleManifest.textEncoder.tokenizer);
    if (bundleManifest.textEncoder.tokenizer.config)
      await verifiedBundleFile(dir, bundleManifest.textEncoder.tokenizer.config);
  }
  let precomputed: LabelEmbeddingSet | undefined;
  if (bundleManifest.labelEmbeddings) {
    const file = await verifiedBundleFile(dir, bundleManifest.labelEmbeddings);
    precomputed = await readPrecomputedEmbeddings(file, bundleManifest.labelEmbeddings);
  }
  // Configuration problems (labels, overlay) are reported before any session opens.
  const { manifest, textChanged, adaptation } = await effectiveManifest(
    bundleManifest,
    opts,
    logger,
  );

  const { session, executionProvider } = await (
    opts.sessionThread ? openSessionThread : openSession
  )(imagePath, {
    executionProviders: opts.executionProviders,
    requireGpu: opts.requireGpu,
    logger,
    role: "image encoder",
    file: ie.file,
    ...sessionTuning(opts),
  });
  try {
    const { channels, size } = manifest.preprocess;
    const input = tensorMetadata(session, "input", ie.inputName, ie.file);
    const expected = [channels, size, size];
    if (
      input.type !== "float32" ||
      input.shape.length !== 4 ||
      !expected.every((n, i) => dimAccepts(input.shape[i + 1], n))
    ) {
      throw new RadzError(
        "BUNDLE_MODEL_MISMATCH",
        `"${ie.file}" input "${ie.inputName}" is ${input.type} ${formatShape(input.shape)}; preprocess needs float32 [batch, ${channels}, ${size}, ${size}]`,
        { details: { file: ie.file } },
      );
    }
    const output = tensorMetadata(session, "output", ie.outputName, ie.file);
    if (output.shape.length !== 2 || !dimAccepts(output.shape[1], ie.embeddingSize)) {
      throw new RadzError(
        "BUNDLE_MODEL_MISMATCH",
        `"${ie.file}" output "${ie.outputName}" has shape ${formatShape(output.shape)}; bundle.json declares [batch, ${ie.embeddingSize}]`,
        { details: { file: ie.file } },
      );
    }

    let patchGrid: [number, number] | null = null;
    if (ie.spatialOutputName) {
      const spatial = tensorMetadata(session, "output", ie.spatialOutputName, ie.file);
      const [, gh, gw, gd] = spatial.shape;
      if (
        spatial.type !== "float32" ||
        spatial.shape.length !== 4 ||
        typeof gh !== "number" ||
        typeof gw !== "number" ||
        !(gh > 0 && gw > 0) ||
        !dimAccepts(gd, ie.embeddingSize)
      ) {
        throw new RadzError(
          "BUNDLE_MODEL_MISMATCH",
          `"${ie.file}" output "${ie.spatialOutputName}" is ${spatial.type} ${formatShape(spatial.shape)}; bundle.json declares float32 [batch, h, w, ${ie.embeddingSize}] with fixed h and w`,
          { details: { file: ie.file } },
        );
      }
      patchGrid = [gh, gw];
    }

    const zeroShotLabels = assembleScoringLabels(
      manifest,
      await labelEmbeddingSources(dir, manifest, opts, logger, precomputed),
      textChanged,
    );
    const scoringLabels = adaptation
      ? zeroShotLabels.map((l) => {
          const adapter = adaptation.adapters.get(l.label.id);
          return adapter ? { ...l, adapter } : l;
        })
      : zeroShotLabels;
    const identity: ModelIdentity = {
      id: manifest.identity.id,
      name: manifest.identity.name,
      version: manifest.identity.version,
      labelSetHash: labelSetHash(manifest, adaptation?.id),
      synthetic: manifest.identity.synthetic,
      executionProvider,
      ...(adaptation ? { adaptation: { id: adaptation.id, method: adaptation.method } } : {}),
    };
    const model = new OnnxZeroShotModel(identity, manifest, session, scoringLabels, patchGrid);

    // Warm-up: one run on a blank (padding-valued) image; also proves the output is sane.
    const p = manifest.preprocess;
    const pad =
      (p.quantize8 ? Math.round(p.padValue * 255) / 255 : p.padValue) *
      (p.scale === "byte" ? 255 : 1);
    const blank = new Float32Array(channels * size * size);
    for (let ch = 0; ch < channels; ch++) {
      const v =
        (pad - p.mean[Math.min(ch, p.mean.length - 1)]!) / p.std[Math.min(ch, p.std.length - 1)]!;
      blank.fill(v, ch * size * size, (ch + 1) * size * size);
    }
    const started = performance.now();
    await model.encodeImages([blank]);
    logger.info(
      {
        bundleId: identity.id,
        bundleVersion: identity.version,
        labelSetHash: identity.labelSetHash,
        adaptation: identity.adaptation?.id ?? null,
        executionProvider,
        labels: manifest.labels.length,
        warmupMs: Math.round(performance.now() - started),
        synthetic: identity.synthetic,
      },
      "model bundle loaded",
    );
    return model;
  } catch (err) {
    await session.release();
    throw err;
  }
}
