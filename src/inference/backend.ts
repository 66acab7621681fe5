/**
 * InferenceBackend: where image embeddings are computed. The pipeline always
 * scores through ZeroShotModel.scoreEmbeddings (label embeddings,
 * calibration, thresholds stay in the listener), so scores are the same
 * whichever backend embeds:
 *
 *   local   ZeroShotModel.embedImages in this process (onnxruntime-node)
 *   remote  Open Inference Protocol endpoints: `radz worker`, Triton, KServe
 *
 * A micro-batcher (batching across studies) wraps a backend; it calls
 * embedImages with the merged inputs and splits the rows back.
 */
import type { ImageEncoding, ZeroShotModel } from "../model/index.js";

export interface BackendEndpointState {
  /** The endpoint URL without credentials. */
  readonly url: string;
  readonly state: "unknown" | "ready" | "unready" | "down";
  readonly outstanding: number;
  /** Why it is not ready (last error), when it is not. */
  readonly reason?: string;
  /** Binary tensor data extension in use for this endpoint. */
  readonly binary?: boolean;
}

export interface BackendDescription {
  readonly kind: "local" | "remote";
  /** "cpu" / "cuda" for local; "remote" for remote. */
  readonly executionProvider: string;
  /** At least one way to embed is available now. */
  readonly ready: boolean;
  readonly modelName?: string;
  readonly endpoints?: readonly BackendEndpointState[];
}

export interface InferenceBackend {
  /**
   * The image encoder's output row for each input tensor (each of the
   * bundle's input shape [C, H, W]), in order.
   */
  embedImages(inputs: readonly Float32Array[], signal?: AbortSignal): Promise<Float32Array[]>;
  /**
   * The same run with the bundle's spatial output too, when it declares one
   * (imageEncoder.spatialOutputName): per input its embedding and patch grid.
   */
  encodeImages(inputs: readonly Float32Array[], signal?: AbortSignal): Promise<ImageEncoding[]>;
  describe(): BackendDescription;
  close(): Promise<void>;
}

/** The local backend: the loaded bundle's own onnxruntime session. */
export class LocalBackend implements InferenceBackend {
  constructor(private readonly model: ZeroShotModel) {}

  async embedImages(
    inputs: readonly Float32Array[],
    signal?: AbortSignal,
  ): Promise<Float32Array[]> {
    signal?.throwIfAborted();
    return this.model.embedImages(inputs);
  }

  async encodeImages(
    inputs: readonly Float32Array[],
    signal?: AbortSignal,
  ): Promise<ImageEncoding[]> {
    signal?.throwIfAborted();
    return this.model.encodeImages(inputs);
  }

  describe(): BackendDescription {
    return {
      kind: "local",
      executionProvider: this.model.identity.executionProvider,
      ready: true,
    };
  }

  /** The model belongs to whoever loaded it; nothing to release here. */
  async close(): Promise<void> {}
}

/**
 * The model as the pipeline sees it when another backend embeds: same
 * manifest, labels and scoring; embedImages and scoreImages go through the
 * backend; identity.executionProvider names the backend ("remote").
 */
export function bindBackend(model: ZeroShotModel, backend: InferenceBackend): ZeroShotModel {
  const identity = { ...model.identity, executionProvider: backend.describe().executionProvider };
  return {
    identity,
    manifest: model.manifest,
    preprocess: model.preprocess,
    labels: model.labels,
    inputShape: model.inputShape,
    embeddingSize: model.embeddingSize,
    patchGrid: model.patchGrid,
    embedImages: (inputs) => backend.embedImages(inputs),
    encodeImages: (inputs) => backend.encodeImages(inputs),
    scoreEmbeddings: (embeddings) => model.scoreEmbeddings(embeddings),
    patchLogits: (patches, labelIds) => model.patchLogits(patches, labelIds),
    scoreImages: async (inputs) => model.scoreEmbeddings(await backend.embedImages(inputs)),
    close: () => model.close(),
  };
}
