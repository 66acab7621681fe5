/**
 * `radz bundle export-triton`: writes a Triton Inference Server model
 * repository from a bundle, so the same ONNX encoders can be served by Triton
 * under the names and tensor layout `radz worker` uses:
 *
 *   <repo>/<bundle id>-image/config.pbtxt
 *   <repo>/<bundle id>-image/1/model.onnx
 *   <repo>/<bundle id>-text/config.pbtxt        (when the bundle has a text encoder)
 *   <repo>/<bundle id>-text/1/model.onnx
 *
 * Each config.pbtxt names platform "onnxruntime_onnx", max_batch_size, the
 * inputs and outputs (dims without the batch dimension), dynamic_batching
 * and an instance_group. Files are checked against their sha256 in
 * bundle.json before they are copied.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { RadzError } from "../errors.js";
import { isSafeRelativePath, readBundleManifest } from "../model/index.js";
import { datatypeFromOnnx } from "./oip/datatypes.js";
import { PbEnum, toPbtxt, type PbMessage } from "./triton/pbtxt.js";
import { SERVED_MODEL_VERSION, imageModelName, textModelName } from "./worker/served-model.js";

export type TritonInstanceKind = "gpu" | "cpu" | "auto";

export interface TritonExportOptions {
  /** max_batch_size (and what the listener may send in one request). */
  readonly maxBatch: number;
  /** dynamic_batching.max_queue_delay_microseconds. */
  readonly maxQueueDelayMicroseconds: number;
  readonly instanceKind: TritonInstanceKind;
  /** Instances per GPU (KIND_GPU) or in all (KIND_CPU). */
  readonly instanceCount: number;
  /** Also export the text encoder when the bundle has one. */
  readonly includeTextEncoder: boolean;
}

export const DEFAULT_TRITON_EXPORT: TritonExportOptions = {
  maxBatch: 16,
  maxQueueDelayMicroseconds: 5_000,
  instanceKind: "gpu",
  instanceCount: 1,
  includeTextEncoder: true,
};

export interface ExportedModel {
  readonly name: string;
  readonly configPath: string;
  readonly modelPath: string;
}

export interface TritonExportResult {
  readonly bundleId: string;
  readonly bundleVersion: string;
  readonly models: readonly ExportedModel[];
}

const KIND: Record<TritonInstanceKind, string> = {
  gpu: "KIND_GPU",
  cpu: "KIND_CPU",
  auto: "KIND_AUTO",
};

/** ModelConfig.DataType for an onnxruntime element type. */
export function tritonDataType(onnxType: string): string | undefined {
  const dt = datatypeFromOnnx(onnxType);
  return dt === undefined ? undefined : `TYPE_${dt}`;
}

async function verifiedBytes(
  bundleDir: string,
  ref: { file: string; sha256: string },
): Promise<Buffer> {
  if (!isSafeRelativePath(ref.file))
    throw new RadzError("BUNDLE_INVALID", `bundle path "${ref.file}" is not inside the bundle`);
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(bundleDir, ref.file));
  } catch (err) {
    throw new RadzError("BUNDLE_FILE_MISSING", `bundle file "${ref.file}" is missing`, {
      cause: err,
      details: { file: ref.file },
    });
  }
  if (createHash("sha256").update(bytes).digest("hex") !== ref.sha256.toLowerCase())
    throw new RadzError(
      "BUNDLE_HASH_MISMATCH",
      `bundle file "${ref.file}" does not match its sha256`,
      {
        details: { file: ref.file },
      },
    );
  return bytes;
}

interface TensorSpec {
  readonly name: string;
  readonly dataType: string;
  /** Without the batch dimension; -1 for variable. */
  readonly dims: readonly number[];
}

/** Reads the named inputs/outputs of an ONNX model (CPU session, nothing run). */
async function tensorSpecs(
  bytes: Buffer,
  file: string,
  inputs: readonly string[],
  outputs: readonly string[],
): Promise<{ inputs: TensorSpec[]; outputs: TensorSpec[] }> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ["cpu"] });
  } catch (err) {
    throw new RadzError(
      "BUNDLE_MODEL_MISMATCH",
      `"${file}" could not be loaded by onnxruntime: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err, details: { file } },
    );
  }
  try {
    const spec = (name: string, kind: "input" | "output"): TensorSpec => {
      const list = kind === "input" ? session.inputMetadata : session.outputMetadata;
      const m = list.find((x) => x.name === name);
      if (!m?.isTensor)
        throw new RadzError("BUNDLE_MODEL_MISMATCH", `"${file}" has no tensor ${kind} "${name}"`, {
          details: { file },
        });
      const dataType = tritonDataType(m.type);
      if (!dataType)
        throw new RadzError(
          "BUNDLE_MODEL_MISMATCH",
          `"${file}" ${kind} "${name}" has type ${m.type}, which Triton's config cannot name here`,
          { details: { file } },
        );
      const batch = m.shape[0];
      if (m.shape.length === 0 || (typeof batch === "number" && batch > 0))
        throw new RadzError(
          "BUNDLE_MODEL_MISMATCH",
          `"${file}" ${kind} "${name}" has no variable batch dimension (shape [${m.shape.join(", ")}]); Triton's dynamic batching needs one`,
          { details: { file } },
        );
      const dims = m.shape.slice(1).map((d) => (typeof d === "number" && d > 0 ? d : -1));
      return { name, dataType, dims };
    };
    return {
      inputs: inputs.map((n) => spec(n, "input")),
      outputs: outputs.map((n) => spec(n, "output")),
    };
  } finally {
    await session.release();
  }
}

/** The ModelConfig of one exported model, as a text-format message. */
export function tritonModelConfig(
  name: string,
  io: { inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] },
  opts: TritonExportOptions,
): PbMessage {
  const tensor = (t: TensorSpec): PbMessage => ({
    name: t.name,
    data_type: new PbEnum(t.dataType),
    dims: [...t.dims],
  });
  return {
    name,
    platform: "onnxruntime_onnx",
    max_batch_size: opts.maxBatch,
    input: io.inputs.map(tensor),
    output: io.outputs.map(tensor),
    dynamic_batching: { max_queue_delay_microseconds: opts.maxQueueDelayMicroseconds },
    instance_group: [{ count: opts.instanceCount, kind: new PbEnum(KIND[opts.instanceKind]) }],
  };
}

function checkOptions(o: TritonExportOptions): void {
  const bad = (m: string) => new RadzError("INPUT_INVALID", m);
  if (!Number.isInteger(o.maxBatch) || o.maxBatch < 1)
    throw bad("max batch must be a positive integer");
  if (!Number.isInteger(o.maxQueueDelayMicroseconds) || o.maxQueueDelayMicroseconds < 0)
    throw bad("max queue delay must be a non-negative integer (microseconds)");
  if (!Number.isInteger(o.instanceCount) || o.instanceCount < 1)
    throw bad("instance count must be a positive integer");
  if (!(o.instanceKind in KIND)) throw bad("instance kind must be gpu, cpu or auto");
}

async function writeModel(
  repoDir: string,
  name: string,
  bytes: Buffer,
  config: PbMessage,
  comments: readonly string[],
): Promise<ExportedModel> {
  const dir = path.join(repoDir, name);
  const versionDir = path.join(dir, SERVED_MODEL_VERSION);
  await mkdir(versionDir, { recursive: true });
  const modelPath = path.join(versionDir, "model.onnx");
  const configPath = path.join(dir, "config.pbtxt");
  await writeFile(modelPath, bytes);
  await writeFile(configPath, toPbtxt(config, comments));
  return { name, configPath, modelPath };
}

/** Writes (or overwrites) the bundle's models into a Triton model repository directory. */
export async function exportTritonRepository(
  bundleDir: string,
  repoDir: string,
  options: Partial<TritonExportOptions> = {},
): Promise<TritonExportResult> {
  const opts = { ...DEFAULT_TRITON_EXPORT, ...options };
  checkOptions(opts);
  const manifest = await readBundleManifest(bundleDir);
  const id = manifest.identity;
  const note = (file: string, sha: string) => [
    `Generated by radz bundle export-triton from bundle ${id.id} ${id.version} (${file}, sha256 ${sha}).`,
    id.synthetic
      ? "SYNTHETIC demonstration model: not for clinical use."
      : "Machine-generated results are unverified and not for clinical use.",
  ];
  const models: ExportedModel[] = [];

  const ie = manifest.imageEncoder;
  const imageBytes = await verifiedBytes(bundleDir, ie);
  const imageIo = await tensorSpecs(
    imageBytes,
    ie.file,
    [ie.inputName],
    ie.spatialOutputName ? [ie.outputName, ie.spatialOutputName] : [ie.outputName],
  );
  const { channels, size } = manifest.preprocess;
  const input = imageIo.inputs[0]!;
  const output = imageIo.outputs[0]!;
  const fits = (dims: readonly number[], want: readonly number[]) =>
    dims.length === want.length && want.every((d, i) => dims[i] === -1 || dims[i] === d);
  if (input.dataType !== "TYPE_FP32" || !fits(input.dims, [channels, size, size]))
    throw new RadzError(
      "BUNDLE_MODEL_MISMATCH",
      `"${ie.file}" input "${ie.inputName}" is ${input.dataType} [${input.dims.join(", ")}]; preprocess needs TYPE_FP32 [${channels}, ${size}, ${size}]`,
    );
  if (output.dataType !== "TYPE_FP32" || !fits(output.dims, [ie.embeddingSize]))
    throw new RadzError(
      "BUNDLE_MODEL_MISMATCH",
      `"${ie.file}" output "${ie.outputName}" is ${output.dataType} [${output.dims.join(", ")}]; bundle.json declares TYPE_FP32 [${ie.embeddingSize}]`,
    );
  // The spatial output (schemaVersion 2): [h, w, D] with a fixed grid, carried as a second output.
  const spatial = imageIo.outputs[1];
  if (
    spatial &&
    (spatial.dataType !== "TYPE_FP32" ||
      spatial.dims.length !== 3 ||
      !(spatial.dims[0]! > 0 && spatial.dims[1]! > 0) ||
      !fits(spatial.dims.slice(2), [ie.embeddingSize]))
  )
    throw new RadzError(
      "BUNDLE_MODEL_MISMATCH",
      `"${ie.file}" output "${ie.spatialOutputName}" is ${spatial.dataType} [${spatial.dims.join(", ")}]; bundle.json declares TYPE_FP32 [h, w, ${ie.embeddingSize}] with fixed h and w`,
    );
  // The listener's tensors are exactly [C, H, W]: pin them in the config.
  const pinnedImage = {
    inputs: [{ ...input, dims: [channels, size, size] }],
    outputs: [
      { ...output, dims: [ie.embeddingSize] },
      ...(spatial
        ? [{ ...spatial, dims: [spatial.dims[0]!, spatial.dims[1]!, ie.embeddingSize] }]
        : []),
    ],
  };
  const imageName = imageModelName(id.id);
  models.push(
    await writeModel(
      repoDir,
      imageName,
      imageBytes,
      tritonModelConfig(imageName, pinnedImage, opts),
      note(ie.file, ie.sha256),
    ),
  );

  const te = manifest.textEncoder;
  if (te && opts.includeTextEncoder) {
    const textBytes = await verifiedBytes(bundleDir, te);
    const names = te.attentionMaskName
      ? [te.inputIdsName, te.attentionMaskName]
      : [te.inputIdsName];
    const textIo = await tensorSpecs(textBytes, te.file, names, [te.outputName]);
    const textName = textModelName(id.id);
    models.push(
      await writeModel(
        repoDir,
        textName,
        textBytes,
        tritonModelConfig(textName, textIo, opts),
        note(te.file, te.sha256),
      ),
    );
  }
  return { bundleId: id.id, bundleVersion: id.version, models };
}
