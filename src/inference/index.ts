/**
 * inference/: where image embeddings are computed (local onnxruntime or
 * remote Open Inference Protocol endpoints), `radz worker` (an OIP server for
 * a bundle's encoders) and the Triton model-repository export.
 */
export { bindBackend, type InferenceBackend } from "./backend.js";
export { createInferenceBackend } from "./create-backend.js";
export { createBatchedModel } from "./batcher.js";
export { RemoteBackend, type RemoteBackendOptions } from "./remote/remote-backend.js";
export {
  decodeInferenceRequest,
  decodeInferenceResponse,
  encodeInferenceRequest,
  encodeInferenceResponse,
  splitBody,
  type EncodedBody,
} from "./oip/codec.js";
export { OipFormatError, type OipTensor } from "./oip/datatypes.js";
export { startWorker, type RunningWorker, type StartWorkerOptions } from "./worker/start.js";
export { DynamicBatcher, type BatchObservation } from "./worker/dynamic-batcher.js";
export { imageModelName } from "./worker/served-model.js";
export {
  DEFAULT_TRITON_EXPORT,
  exportTritonRepository,
  type TritonInstanceKind,
} from "./triton-export.js";
