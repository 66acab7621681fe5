/**
 * The models a worker serves, under the names a Triton model repository
 * exported from the same bundle would use (see ../triton-export.ts):
 *
 *   <bundle id>-image   the image encoder: FP32 [-1, C, H, W] → FP32 [-1, D]
 *                       (+ the spatial output FP32 [-1, h, w, D] when the bundle declares one)
 *   <bundle id>-text    the text encoder (when the bundle has one):
 *                       INT64/INT32 token ids [-1, -1] (+ attention mask) → FP32 [-1, D]
 *
 * The image model runs through ZeroShotModel.embedImages, the very function
 * the local backend uses, so a worker's embeddings equal local ones.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { RadzError } from "../../errors.js";
import { isSafeRelativePath, type BundleManifest, type ZeroShotModel } from "../../model/index.js";
import {
  datatypeFromOnnx,
  elementCount,
  type NumericDatatype,
  type OipTensor,
} from "../oip/datatypes.js";
import type { OipTensorMetadata } from "../oip/types.js";

/** Model version every served model reports (Triton's exported repository uses directory "1"). */
export const SERVED_MODEL_VERSION = "1";
/** The platform Triton reports for ONNX models; the worker runs the same ONNX files. */
export const ONNX_PLATFORM = "onnxruntime_onnx";

export interface ServedTensorSpec extends OipTensorMetadata {
  readonly datatype: NumericDatatype;
  /** Inputs only: may be left out of a request. */
  readonly optional?: boolean;
}

/** A model the worker serves. Dimension 0 of every input and output is the batch. */
export interface ServedModel {
  readonly name: string;
  readonly version: string;
  readonly platform: string;
  readonly inputs: readonly ServedTensorSpec[];
  readonly outputs: readonly ServedTensorSpec[];
  readonly executionProvider: string;
  /** One batched run; returns every output, each with `batch` rows. */
  execute(inputs: ReadonlyMap<string, OipTensor>, batch: number): Promise<Map<string, OipTensor>>;
  close(): Promise<void>;
}

export function imageModelName(bundleId: string): string {
  return `${bundleId}-image`;
}

export function textModelName(bundleId: string): string {
  return `${bundleId}-text`;
}

/** The image encoder of a loaded bundle as a served model. */
export function servedImageModel(model: ZeroShotModel): ServedModel {
  const ie = model.manifest.imageEncoder;
  const [c, h, w] = model.inputShape;
  const per = c * h * w;
  const d = model.embeddingSize;
  const grid = model.patchGrid;
  const spatialName = grid ? ie.spatialOutputName : undefined;
  const outputs: ServedTensorSpec[] = [{ name: ie.outputName, datatype: "FP32", shape: [-1, d] }];
  if (grid && spatialName)
    outputs.push({ name: spatialName, datatype: "FP32", shape: [-1, grid[0], grid[1], d] });
  return {
    name: imageModelName(model.identity.id),
    version: SERVED_MODEL_VERSION,
    platform: ONNX_PLATFORM,
    inputs: [{ name: ie.inputName, datatype: "FP32", shape: [-1, c, h, w] }],
    outputs,
    executionProvider: model.identity.executionProvider,
    async execute(inputs, batch) {
      const x = inputs.get(ie.inputName)!.data as Float32Array;
      const images: Float32Array[] = [];
      for (let i = 0; i < batch; i++) images.push(x.subarray(i * per, (i + 1) * per));
      const rows = await model.encodeImages(images);
      const out = new Float32Array(batch * d);
      rows.forEach((r, i) => out.set(r.embedding, i * d));
      const result = new Map<string, OipTensor>([
        [ie.outputName, { name: ie.outputName, datatype: "FP32", shape: [batch, d], data: out }],
      ]);
      if (grid && spatialName) {
        const perGrid = grid[0] * grid[1] * d;
        const patches = new Float32Array(batch * perGrid);
        rows.forEach((r, i) => patches.set(r.patches!.data, i * perGrid));
        result.set(spatialName, {
          name: spatialName,
          datatype: "FP32",
          shape: [batch, grid[0], grid[1], d],
          data: patches,
        });
      }
      return result;
    },
    // The ZeroShotModel belongs to the caller, which closes it.
    close: async () => undefined,
  };
}

type TextEncoderSpec = NonNullable<BundleManifest["textEncoder"]>;

function ortTensor(t: OipTensor): ort.Tensor {
  const type = t.datatype === "INT64" ? "int64" : t.datatype === "INT32" ? "int32" : undefined;
  if (!type) throw new RadzError("INPUT_INVALID", `text encoder inputs must be INT64 or INT32`);
  return new ort.Tensor(type, t.data as BigInt64Array | Int32Array, [...t.shape]);
}

/**
 * The bundle's text encoder as a served model: token ids in, embeddings out
 * (tokenisation stays with the caller, as with Triton). The file is read,
 * checked against its sha256 in bundle.json, and run from memory.
 */
export async function servedTextModel(
  bundleDir: string,
  manifest: BundleManifest,
  executionProvider: "cuda" | "cpu",
): Promise<ServedModel | undefined> {
  const te: TextEncoderSpec | undefined = manifest.textEncoder;
  if (!te) return undefined;
  if (!isSafeRelativePath(te.file))
    throw new RadzError(
      "BUNDLE_INVALID",
      `text encoder path "${te.file}" is not inside the bundle`,
    );
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(bundleDir, te.file));
  } catch (err) {
    throw new RadzError("BUNDLE_FILE_MISSING", `bundle file "${te.file}" is missing`, {
      cause: err,
      details: { file: te.file },
    });
  }
  if (createHash("sha256").update(bytes).digest("hex") !== te.sha256.toLowerCase())
    throw new RadzError(
      "BUNDLE_HASH_MISMATCH",
      `bundle file "${te.file}" does not match its sha256`,
      {
        details: { file: te.file },
      },
    );
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: [executionProvider],
      graphOptimizationLevel: "all",
    });
  } catch (err) {
    throw new RadzError(
      executionProvider === "cuda" ? "GPU_UNAVAILABLE" : "BUNDLE_MODEL_MISMATCH",
      `the text encoder "${te.file}" could not be loaded on ${executionProvider}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const spec = (name: string, kind: "input" | "output"): ServedTensorSpec => {
    const list = kind === "input" ? session.inputMetadata : session.outputMetadata;
    const m = list.find((x) => x.name === name);
    const datatype = m?.isTensor ? datatypeFromOnnx(m.type) : undefined;
    if (!m?.isTensor || !datatype)
      throw new RadzError(
        "BUNDLE_MODEL_MISMATCH",
        `"${te.file}" has no tensor ${kind} "${name}" of a supported type`,
        { details: { file: te.file } },
      );
    const shape = m.shape.map((s, i) => (i === 0 || typeof s !== "number" || s < 0 ? -1 : s));
    return { name, datatype, shape };
  };
  const inputs = [spec(te.inputIdsName, "input")];
  if (te.attentionMaskName) inputs.push(spec(te.attentionMaskName, "input"));
  const output = spec(te.outputName, "output");
  return {
    name: textModelName(manifest.identity.id),
    version: SERVED_MODEL_VERSION,
    platform: ONNX_PLATFORM,
    inputs,
    outputs: [output],
    executionProvider,
    async execute(feeds, batch) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const s of inputs) ortFeeds[s.name] = ortTensor(feeds.get(s.name)!);
      let result: ort.InferenceSession.OnnxValueMapType;
      try {
        result = await session.run(ortFeeds, [output.name]);
      } catch (err) {
        throw new RadzError(
          "INFERENCE_FAILED",
          `text encoder run failed: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
      const t = result[output.name];
      if (!t || t.type !== "float32" || t.dims[0] !== batch)
        throw new RadzError(
          "INFERENCE_BAD_OUTPUT",
          "text encoder output has the wrong type or shape",
        );
      const shape = t.dims.map(Number);
      const data = t.data as Float32Array;
      if (data.length !== elementCount(shape))
        throw new RadzError("INFERENCE_BAD_OUTPUT", "text encoder output has the wrong size");
      return new Map([[output.name, { name: output.name, datatype: "FP32", shape, data: data }]]);
    },
    close: () => session.release(),
  };
}
