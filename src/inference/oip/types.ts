/**
 * JSON objects of the Open Inference Protocol (KServe v2) HTTP/REST API, as
 * named by the specification ($inference_request, $response_output, ...),
 * plus the names of the binary tensor data extension's parameters.
 */

/** $parameters: name → string | number | boolean. */
export type OipParameters = Record<string, string | number | boolean>;

/** $metadata_server_response (GET /v2). */
export interface OipServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** $metadata_tensor. A variable-size dimension is -1. */
export interface OipTensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/** $metadata_model_response (GET /v2/models/{name}[/versions/{version}]). */
export interface OipModelMetadata {
  readonly name: string;
  readonly versions?: readonly string[];
  readonly platform: string;
  readonly inputs: readonly OipTensorMetadata[];
  readonly outputs: readonly OipTensorMetadata[];
}

/** $request_input. Exactly one of `data` or parameters.binary_data_size carries the values. */
export interface OipRequestInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: string;
  readonly parameters?: OipParameters;
  readonly data?: unknown;
}

/** $request_output. */
export interface OipRequestOutput {
  readonly name: string;
  readonly parameters?: OipParameters;
}

/** $inference_request. */
export interface OipInferenceRequest {
  readonly id?: string;
  readonly parameters?: OipParameters;
  readonly inputs: readonly OipRequestInput[];
  readonly outputs?: readonly OipRequestOutput[];
}

/** $response_output. */
export interface OipResponseOutput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: string;
  readonly parameters?: OipParameters;
  readonly data?: unknown;
}

/** $inference_response. */
export interface OipInferenceResponse {
  readonly model_name: string;
  readonly model_version?: string;
  readonly id?: string;
  readonly parameters?: OipParameters;
  readonly outputs: readonly OipResponseOutput[];
}

/** Binary tensor data extension names. */
export const BINARY_EXTENSION = "binary_tensor_data";
export const HEADER_LENGTH_HEADER = "inference-header-content-length";
export const BINARY_DATA_SIZE = "binary_data_size";
export const BINARY_DATA = "binary_data";
export const BINARY_DATA_OUTPUT = "binary_data_output";
