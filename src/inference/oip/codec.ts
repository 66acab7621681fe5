/**
 * Encoding and decoding of inference request and response bodies, JSON and
 * with the binary tensor data extension: the JSON object first, its length in
 * the Inference-Header-Content-Length header, then each binary tensor's bytes
 * in the order the tensors appear in the JSON, each announced by its
 * `binary_data_size` parameter.
 */
import {
  OipFormatError,
  bytesPerElement,
  elementCount,
  isNumericDatatype,
  isOipDatatype,
  tensorDataFromBytes,
  tensorDataFromJson,
  tensorDataToBytes,
  tensorDataToJson,
  type NumericDatatype,
  type OipTensor,
  type TensorData,
} from "./datatypes.js";
import {
  BINARY_DATA,
  BINARY_DATA_OUTPUT,
  BINARY_DATA_SIZE,
  type OipInferenceRequest,
  type OipInferenceResponse,
  type OipParameters,
  type OipRequestOutput,
} from "./types.js";

/** A body ready to send: headers to add, and the bytes in order. */
export interface EncodedBody {
  readonly contentType: string;
  /** Inference-Header-Content-Length when any tensor is binary, else undefined. */
  readonly headerLength: number | undefined;
  readonly chunks: readonly Uint8Array[];
  readonly length: number;
}

/** A tensor to send whose data may come in parts (concatenated in order), e.g. one image each. */
export interface OutgoingTensor {
  readonly name: string;
  readonly datatype: NumericDatatype;
  readonly shape: readonly number[];
  readonly parts: readonly TensorData[];
}

function encodeBody(
  json: object,
  binaries: readonly Uint8Array[],
  binaryContentType = "application/octet-stream",
): EncodedBody {
  const header = Buffer.from(JSON.stringify(json), "utf8");
  if (binaries.length === 0) {
    return {
      contentType: "application/json",
      headerLength: undefined,
      chunks: [header],
      length: header.length,
    };
  }
  let length = header.length;
  for (const b of binaries) length += b.byteLength;
  return {
    contentType: binaryContentType,
    headerLength: header.length,
    chunks: [header, ...binaries],
    length,
  };
}

function partsLength(t: OutgoingTensor): number {
  let n = 0;
  for (const p of t.parts) n += p.length;
  return n;
}

function jsonData(t: OutgoingTensor): (number | boolean)[] {
  if (t.parts.length === 1) return tensorDataToJson(t.datatype, t.parts[0]!);
  const out: (number | boolean)[] = [];
  for (const p of t.parts) for (const v of tensorDataToJson(t.datatype, p)) out.push(v);
  return out;
}

function checkOutgoing(t: OutgoingTensor): void {
  const n = elementCount(t.shape);
  if (partsLength(t) !== n)
    throw new OipFormatError(
      `tensor "${t.name}" of shape [${t.shape.join(", ")}] has ${partsLength(t)} values, needs ${n}`,
    );
}

/** Builds an $inference_request body. */
export function encodeInferenceRequest(request: {
  readonly id?: string;
  readonly inputs: readonly OutgoingTensor[];
  /** Send the inputs as binary tensor data. */
  readonly binaryInputs: boolean;
  /** Outputs to return; each as binary (true) or JSON (false). Omitted: all, as JSON. */
  readonly outputs?: readonly { readonly name: string; readonly binary: boolean }[];
  readonly parameters?: OipParameters;
}): EncodedBody {
  const binaries: Uint8Array[] = [];
  const inputs = request.inputs.map((t) => {
    checkOutgoing(t);
    const base = { name: t.name, shape: [...t.shape], datatype: t.datatype };
    if (!request.binaryInputs) return { ...base, data: jsonData(t) };
    let size = 0;
    for (const p of t.parts) {
      const bytes = tensorDataToBytes(p);
      binaries.push(bytes);
      size += bytes.byteLength;
    }
    return { ...base, parameters: { [BINARY_DATA_SIZE]: size } };
  });
  const json: Record<string, unknown> = {};
  if (request.id !== undefined) json.id = request.id;
  if (request.parameters) json.parameters = request.parameters;
  json.inputs = inputs;
  if (request.outputs) {
    json.outputs = request.outputs.map((o) => ({
      name: o.name,
      parameters: { [BINARY_DATA]: o.binary },
    }));
  }
  return encodeBody(json, binaries);
}

/** An output the server will return, with how it was asked for. */
export interface ResponseTensor {
  readonly tensor: OipTensor;
  readonly binary: boolean;
}

/** Builds an $inference_response body. */
export function encodeInferenceResponse(response: {
  readonly model_name: string;
  readonly model_version?: string;
  readonly id?: string;
  readonly outputs: readonly ResponseTensor[];
}): EncodedBody {
  const binaries: Uint8Array[] = [];
  const outputs = response.outputs.map(({ tensor, binary }) => {
    const base = { name: tensor.name, datatype: tensor.datatype, shape: [...tensor.shape] };
    if (!binary) return { ...base, data: tensorDataToJson(tensor.datatype, tensor.data) };
    const bytes = tensorDataToBytes(tensor.data);
    binaries.push(bytes);
    return { ...base, parameters: { [BINARY_DATA_SIZE]: bytes.byteLength } };
  });
  const json: Record<string, unknown> = { model_name: response.model_name };
  if (response.model_version !== undefined) json.model_version = response.model_version;
  if (response.id !== undefined) json.id = response.id;
  json.outputs = outputs;
  return encodeBody(json, binaries);
}

/** Splits a body into its JSON object and the binary data after it. */
export function splitBody(
  body: Uint8Array,
  headerLength: string | undefined,
): { json: unknown; binary: Uint8Array } {
  let jsonLength = body.byteLength;
  if (headerLength !== undefined) {
    if (!/^\d{1,15}$/.test(headerLength.trim()))
      throw new OipFormatError("Inference-Header-Content-Length is not a decimal byte count");
    jsonLength = Number(headerLength.trim());
    if (jsonLength > body.byteLength)
      throw new OipFormatError(
        `Inference-Header-Content-Length (${jsonLength}) is larger than the body (${body.byteLength} bytes)`,
      );
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, jsonLength).toString("utf8"));
  } catch {
    throw new OipFormatError(
      headerLength === undefined
        ? "the body is not valid JSON (binary tensor data needs the Inference-Header-Content-Length header)"
        : "the JSON header is not valid JSON",
    );
  }
  return { json, binary: body.subarray(jsonLength) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parameters(v: unknown, where: string): OipParameters | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new OipFormatError(`${where}.parameters must be an object`);
  for (const [k, p] of Object.entries(v)) {
    if (typeof p !== "string" && typeof p !== "number" && typeof p !== "boolean")
      throw new OipFormatError(`${where}.parameters.${k} must be a string, number or boolean`);
  }
  return v as OipParameters;
}

function shapeOf(v: unknown, where: string): number[] {
  if (!Array.isArray(v) || !v.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    throw new OipFormatError(`${where}.shape must be an array of non-negative integers`);
  return v as number[];
}

interface TensorEntry {
  readonly name: string;
  readonly datatype: NumericDatatype;
  readonly shape: readonly number[];
  readonly parameters: OipParameters | undefined;
  readonly data: unknown;
}

function tensorEntry(v: unknown, where: string): TensorEntry {
  if (!isObject(v)) throw new OipFormatError(`${where} must be an object`);
  if (typeof v.name !== "string" || v.name === "")
    throw new OipFormatError(`${where}.name must be a non-empty string`);
  if (!isOipDatatype(v.datatype))
    throw new OipFormatError(`${where} ("${v.name}") has an unknown datatype`);
  if (!isNumericDatatype(v.datatype))
    throw new OipFormatError(
      `${where} ("${v.name}"): datatype ${v.datatype} is not supported by this server`,
    );
  return {
    name: v.name,
    datatype: v.datatype,
    shape: shapeOf(v.shape, `${where} ("${v.name}")`),
    parameters: parameters(v.parameters, `${where} ("${v.name}")`),
    data: v.data,
  };
}

/** Decodes tensors in order, taking binary data from `binary` for those with binary_data_size. */
function decodeTensors(
  entries: readonly TensorEntry[],
  binary: Uint8Array,
  what: string,
): OipTensor[] {
  let offset = 0;
  const out = entries.map((e) => {
    const size = e.parameters?.[BINARY_DATA_SIZE];
    if (size !== undefined) {
      if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0)
        throw new OipFormatError(`${what} "${e.name}": binary_data_size must be a byte count`);
      if (e.data !== undefined)
        throw new OipFormatError(`${what} "${e.name}" has both data and binary_data_size`);
      const expected = elementCount(e.shape) * bytesPerElement(e.datatype);
      if (size !== expected)
        throw new OipFormatError(
          `${what} "${e.name}": binary_data_size is ${size}, but ${e.datatype} [${e.shape.join(", ")}] is ${expected} bytes`,
        );
      if (offset + size > binary.byteLength)
        throw new OipFormatError(
          `${what} "${e.name}": the body ends before its ${size} bytes of binary data`,
        );
      const data = tensorDataFromBytes(e.datatype, e.shape, binary.subarray(offset, offset + size));
      offset += size;
      return { name: e.name, datatype: e.datatype, shape: e.shape, data };
    }
    if (e.data === undefined)
      throw new OipFormatError(`${what} "${e.name}" has neither data nor binary_data_size`);
    return {
      name: e.name,
      datatype: e.datatype,
      shape: e.shape,
      data: tensorDataFromJson(e.datatype, e.shape, e.data),
    };
  });
  if (offset !== binary.byteLength)
    throw new OipFormatError(
      `the body has ${binary.byteLength - offset} bytes after the JSON header that no tensor's binary_data_size accounts for`,
    );
  return out;
}

/** An output the client asked for, and whether it wants it binary. */
export interface RequestedOutput {
  readonly name: string;
  readonly binary: boolean;
}

export interface DecodedRequest {
  readonly id: string | undefined;
  readonly parameters: OipParameters | undefined;
  readonly inputs: readonly OipTensor[];
  /** undefined: all outputs, each binary iff `binaryByDefault`. */
  readonly outputs: readonly RequestedOutput[] | undefined;
  /** The request-level binary_data_output parameter. */
  readonly binaryByDefault: boolean;
}

/** Validates and decodes an $inference_request body (server side). */
export function decodeInferenceRequest(
  body: Uint8Array,
  headerLength: string | undefined,
): DecodedRequest {
  const { json, binary } = splitBody(body, headerLength);
  if (!isObject(json)) throw new OipFormatError("the inference request must be a JSON object");
  const request = json as Partial<OipInferenceRequest> & Record<string, unknown>;
  if (request.id !== undefined && typeof request.id !== "string")
    throw new OipFormatError("id must be a string");
  const params = parameters(request.parameters, "request");
  const bdo = params?.[BINARY_DATA_OUTPUT];
  if (bdo !== undefined && typeof bdo !== "boolean")
    throw new OipFormatError("parameters.binary_data_output must be a boolean");
  if (!Array.isArray(request.inputs) || request.inputs.length === 0)
    throw new OipFormatError("inputs must be a non-empty array");
  const entries = request.inputs.map((v, i) => tensorEntry(v, `inputs[${i}]`));
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) throw new OipFormatError(`input "${e.name}" is given twice`);
    names.add(e.name);
  }
  let outputs: RequestedOutput[] | undefined;
  if (request.outputs !== undefined) {
    if (!Array.isArray(request.outputs)) throw new OipFormatError("outputs must be an array");
    outputs = (request.outputs as unknown[]).map((o, i) => {
      if (!isObject(o) || typeof o.name !== "string")
        throw new OipFormatError(`outputs[${i}] must be an object with a name`);
      const p = parameters(o.parameters, `outputs[${i}]`);
      const b = p?.[BINARY_DATA];
      if (b !== undefined && typeof b !== "boolean")
        throw new OipFormatError(`outputs[${i}].parameters.binary_data must be a boolean`);
      return { name: (o as unknown as OipRequestOutput).name, binary: b ?? bdo ?? false };
    });
  }
  return {
    id: request.id,
    parameters: params,
    inputs: decodeTensors(entries, binary, "input"),
    outputs,
    binaryByDefault: bdo ?? false,
  };
}

export interface DecodedResponse {
  readonly modelName: string;
  readonly modelVersion: string | undefined;
  readonly id: string | undefined;
  readonly outputs: readonly OipTensor[];
}

/** Validates and decodes an $inference_response body (client side). */
export function decodeInferenceResponse(
  body: Uint8Array,
  headerLength: string | undefined,
): DecodedResponse {
  const { json, binary } = splitBody(body, headerLength);
  if (!isObject(json)) throw new OipFormatError("the inference response must be a JSON object");
  const response = json as Partial<OipInferenceResponse> & Record<string, unknown>;
  if (typeof response.model_name !== "string")
    throw new OipFormatError("the inference response has no model_name");
  if (response.model_version !== undefined && typeof response.model_version !== "string")
    throw new OipFormatError("model_version must be a string");
  if (response.id !== undefined && typeof response.id !== "string")
    throw new OipFormatError("id must be a string");
  if (!Array.isArray(response.outputs)) throw new OipFormatError("outputs must be an array");
  const entries = response.outputs.map((v, i) => tensorEntry(v, `outputs[${i}]`));
  return {
    modelName: response.model_name,
    modelVersion: response.model_version,
    id: response.id,
    outputs: decodeTensors(entries, binary, "output"),
  };
}

/** The error message of an { "error": "..." } body, if that is what it is. */
export function errorMessage(body: Uint8Array): string | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(body).toString("utf8"));
    return isObject(v) && typeof v.error === "string" ? v.error : undefined;
  } catch {
    return undefined;
  }
}
