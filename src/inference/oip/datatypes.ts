/**
 * Open Inference Protocol (KServe v2) tensor data types and their in-memory
 * form. Binary tensor data is little-endian, row-major, unpadded, in the
 * type's native size (binary tensor data extension); JSON tensor data is a
 * (possibly nested) array of numbers or booleans in row-major order.
 *
 * FP16 and BYTES are valid protocol types that RadZ's encoders never use;
 * they are recognised (so a request naming them gets a clear 400) but not
 * decoded.
 */
import { endianness } from "node:os";

export const OIP_DATATYPES = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
] as const;
export type OipDatatype = (typeof OIP_DATATYPES)[number];

/** The data types this implementation decodes and encodes. */
export type NumericDatatype = Exclude<OipDatatype, "FP16" | "BYTES">;

export type TensorData =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** A named tensor with its protocol data type and full (batched) shape. */
export interface OipTensor {
  readonly name: string;
  readonly datatype: NumericDatatype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

interface TypeInfo {
  readonly bytes: number;
  readonly create: (buffer: ArrayBuffer, length: number) => TensorData;
  readonly bigint: boolean;
}

const TYPES: Record<NumericDatatype, TypeInfo> = {
  BOOL: { bytes: 1, create: (b, n) => new Uint8Array(b, 0, n), bigint: false },
  UINT8: { bytes: 1, create: (b, n) => new Uint8Array(b, 0, n), bigint: false },
  UINT16: { bytes: 2, create: (b, n) => new Uint16Array(b, 0, n), bigint: false },
  UINT32: { bytes: 4, create: (b, n) => new Uint32Array(b, 0, n), bigint: false },
  UINT64: { bytes: 8, create: (b, n) => new BigUint64Array(b, 0, n), bigint: true },
  INT8: { bytes: 1, create: (b, n) => new Int8Array(b, 0, n), bigint: false },
  INT16: { bytes: 2, create: (b, n) => new Int16Array(b, 0, n), bigint: false },
  INT32: { bytes: 4, create: (b, n) => new Int32Array(b, 0, n), bigint: false },
  INT64: { bytes: 8, create: (b, n) => new BigInt64Array(b, 0, n), bigint: true },
  FP32: { bytes: 4, create: (b, n) => new Float32Array(b, 0, n), bigint: false },
  FP64: { bytes: 8, create: (b, n) => new Float64Array(b, 0, n), bigint: false },
};

/** Value ranges of the integer types small enough to check exactly as JS numbers. */
const RANGES: Partial<Record<NumericDatatype, readonly [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

const LITTLE_ENDIAN_HOST = endianness() === "LE";

/** A protocol-level problem with a request or response (the server answers 400). */
export class OipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OipFormatError";
  }
}

export function isOipDatatype(v: unknown): v is OipDatatype {
  return typeof v === "string" && (OIP_DATATYPES as readonly string[]).includes(v);
}

export function isNumericDatatype(v: unknown): v is NumericDatatype {
  return typeof v === "string" && Object.hasOwn(TYPES, v);
}

export function bytesPerElement(datatype: NumericDatatype): number {
  return TYPES[datatype].bytes;
}

/** Elements in a tensor of this shape; throws on a negative or non-integer dimension. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new OipFormatError(`shape [${shape.join(", ")}] has an invalid dimension`);
    n *= d;
  }
  return n;
}

/** A zeroed typed array of the data type, `length` elements long. */
export function allocateTensorData(datatype: NumericDatatype, length: number): TensorData {
  const info = TYPES[datatype];
  return info.create(new ArrayBuffer(length * info.bytes), length);
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Decodes little-endian binary tensor data. The bytes are copied, so the
 * result is aligned and independent of the (pooled, possibly unaligned)
 * request buffer.
 */
export function tensorDataFromBytes(
  datatype: NumericDatatype,
  shape: readonly number[],
  bytes: Uint8Array,
): TensorData {
  const info = TYPES[datatype];
  const n = elementCount(shape);
  if (bytes.byteLength !== n * info.bytes) {
    throw new OipFormatError(
      `${datatype} tensor of shape [${shape.join(", ")}] needs ${n * info.bytes} bytes of binary data, got ${bytes.byteLength}`,
    );
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  if (!LITTLE_ENDIAN_HOST && info.bytes > 1) swapBytes(copy, info.bytes);
  return info.create(copy.buffer, n);
}

/** The little-endian bytes of tensor data (a view on little-endian hosts, a swapped copy otherwise). */
export function tensorDataToBytes(data: TensorData): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST || data.BYTES_PER_ELEMENT === 1) return view;
  const copy = new Uint8Array(view);
  swapBytes(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

function flatten(value: unknown, out: unknown[], depth: number): void {
  if (depth > 32) throw new OipFormatError("tensor data is nested too deeply");
  if (Array.isArray(value)) {
    for (const v of value) flatten(v, out, depth + 1);
  } else {
    out.push(value);
  }
}

/**
 * Decodes JSON tensor data: nested or flat arrays in row-major order. The
 * element count must match the shape and every element must suit the type
 * (booleans for BOOL, integers for integer types, numbers for FP types).
 */
export function tensorDataFromJson(
  datatype: NumericDatatype,
  shape: readonly number[],
  data: unknown,
): TensorData {
  const n = elementCount(shape);
  if (!Array.isArray(data)) throw new OipFormatError(`tensor data must be a JSON array`);
  const flat: unknown[] = [];
  flatten(data, flat, 0);
  if (flat.length !== n) {
    throw new OipFormatError(
      `tensor of shape [${shape.join(", ")}] needs ${n} elements, got ${flat.length}`,
    );
  }
  const out = allocateTensorData(datatype, n);
  const info = TYPES[datatype];
  const integer = datatype !== "FP32" && datatype !== "FP64" && datatype !== "BOOL";
  for (let i = 0; i < n; i++) {
    const v = flat[i];
    if (datatype === "BOOL") {
      if (typeof v !== "boolean")
        throw new OipFormatError(`BOOL tensor element ${i} is not a boolean`);
      (out as Uint8Array)[i] = v ? 1 : 0;
      continue;
    }
    // JSON has no NaN/Infinity, so any parsed number is finite.
    if (typeof v !== "number")
      throw new OipFormatError(`${datatype} tensor element ${i} is not a number`);
    if (
      integer &&
      (!Number.isInteger(v) ||
        v < (RANGES[datatype]?.[0] ?? -Infinity) ||
        v > (RANGES[datatype]?.[1] ?? Infinity))
    )
      throw new OipFormatError(
        `${datatype} tensor element ${i} is not an integer in the type's range`,
      );
    if (info.bigint) (out as BigInt64Array)[i] = BigInt(v);
    else (out as Float32Array)[i] = v;
  }
  return out;
}

/** JSON tensor data (flat, row-major): booleans for BOOL, numbers otherwise. */
export function tensorDataToJson(
  datatype: NumericDatatype,
  data: TensorData,
): (number | boolean)[] {
  const out = new Array<number | boolean>(data.length);
  if (datatype === "BOOL") {
    for (let i = 0; i < data.length; i++) out[i] = data[i] !== 0;
  } else if (TYPES[datatype].bigint) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  } else {
    for (let i = 0; i < data.length; i++) out[i] = data[i] as number;
  }
  return out;
}

/** Maps onnxruntime tensor element types to protocol data types. */
export function datatypeFromOnnx(type: string): NumericDatatype | undefined {
  const map: Record<string, NumericDatatype> = {
    bool: "BOOL",
    uint8: "UINT8",
    uint16: "UINT16",
    uint32: "UINT32",
    uint64: "UINT64",
    int8: "INT8",
    int16: "INT16",
    int32: "INT32",
    int64: "INT64",
    float32: "FP32",
    float64: "FP64",
  };
  return map[type];
}
