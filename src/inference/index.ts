/**
 * inference/: where image embeddings are computed (local onnxruntime or
 * remote Open Inference Protocol endpoints), `radz worker` (an OIP server for
 * a bundle's encoders) and the Triton model-repository export.
 */
export {
  LocalBackend,
  bindBackend,
  type BackendDescription,
  type BackendEndpointState,
  type InferenceBackend,
} from "./backend.js";
export { createInferenceBackend } from "./create-backend.js";
export { createBatchedModel } from "./batcher.js";
export {
  RemoteBackend,
  type RemoteBackendOptions,
  type RemoteEndpointConfig,
} from "./remote/remote-backend.js";
export { OipClient, OipHttpError, displayUrl, type InferCall } from "./remote/oip-client.js";
export { TransportError } from "./remote/http-transport.js";
export {
  decodeInferenceRequest,
  decodeInferenceResponse,
  encodeInferenceRequest,
  encodeInferenceResponse,
  splitBody,
  type DecodedRequest,
  type DecodedResponse,
  type EncodedBody,
  type OutgoingTensor,
} from "./oip/codec.js";
export {
  OIP_DATATYPES,
  OipFormatError,
  type NumericDatatype,
  type OipDatatype,
  type OipTensor,
  type TensorData,
} from "./oip/datatypes.js";
export type {
  OipInferenceRequest,
  OipInferenceResponse,
  OipModelMetadata,
  OipServerMetadata,
  OipTensorMetadata,
} from "./oip/types.js";
export { BINARY_EXTENSION } from "./oip/types.js";
export { startWorker, type RunningWorker, type StartWorkerOptions } from "./worker/start.js";
export { createWorkerApp, WORKER_SERVER_NAME, type WorkerAppOptions } from "./worker/server.js";
export { DynamicBatcher, type BatchObservation } from "./worker/dynamic-batcher.js";
export {
  ONNX_PLATFORM,
  SERVED_MODEL_VERSION,
  imageModelName,
  servedImageModel,
  servedTextModel,
  textModelName,
  type ServedModel,
} from "./worker/served-model.js";
export {
  DEFAULT_TRITON_EXPORT,
  exportTritonRepository,
  tritonModelConfig,
  type TritonExportOptions,
  type TritonExportResult,
  type TritonInstanceKind,
} from "./triton-export.js";
