/**
 * A small builder for ONNX graphs on the onnx-proto message classes, used to
 * generate the demonstration bundle's encoders from code (no hand-written
 * bytes, no Python). Opset 13, IR version 7.
 */
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";

const { onnx } = onnxProto;

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;

export type ElemType = "float32" | "int64";

const DATA_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
};

export type AttrValue = number | number[] | string | { floats: number[] } | { float: number };

/** Dimension: a fixed size, or a symbolic name (e.g. "batch"). */
export type Dim = number | string;

function valueInfo(name: string, elem: ElemType, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[elem],
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function attribute(name: string, value: AttrValue): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === "string")
    return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === "number") {
    if (!Number.isInteger(value))
      throw new TypeError(`attribute ${name}: use { float } for non-integer ${value}`);
    return { name, type: T.INT, i: value };
  }
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ("floats" in value) return { name, type: T.FLOATS, floats: value.floats };
  return { name, type: T.FLOAT, f: value.float };
}

export class GraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(private readonly graphName: string) {}

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate value name ${name}`);
    this.names.add(name);
    return name;
  }

  input(name: string, elem: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), elem, dims));
    return name;
  }

  /** Marks an existing value as a graph output (renamed through Identity). */
  output(value: string, name: string, elem: ElemType, dims: readonly Dim[]): string {
    this.nodes.push({
      opType: "Identity",
      input: [value],
      output: [this.claim(name)],
      name: `out_${name}`,
    });
    this.outputs.push(valueInfo(name, elem, dims));
    return name;
  }

  /** A float32 constant tensor. */
  floats(data: ArrayLike<number>, dims: readonly number[], prefix = "c"): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length)
      throw new RangeError(
        `constant ${prefix}: ${data.length} values for dims [${dims.join(",")}]`,
      );
    const f32 = Float32Array.from(data);
    const name = this.fresh(prefix);
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: DATA_TYPE.float32,
      rawData: new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength),
    });
    return name;
  }

  /** A float32 scalar constant (broadcasts). */
  scalar(value: number, prefix = "k"): string {
    return this.floats([value], [], prefix);
  }

  /** An int64 constant tensor. */
  ints(data: readonly number[], dims: readonly number[] = [data.length], prefix = "i"): string {
    const i64 = BigInt64Array.from(data.map((v) => BigInt(v)));
    const name = this.fresh(prefix);
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: DATA_TYPE.int64,
      rawData: new Uint8Array(i64.buffer, i64.byteOffset, i64.byteLength),
    });
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    const out = this.fresh(opType.toLowerCase());
    this.nodes.push({
      opType,
      input: [...inputs],
      output: [out],
      name: `n_${out}`,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** Serialises the model (ModelProto) to bytes. */
  toBytes(meta: {
    producerName: string;
    producerVersion: string;
    docString: string;
    modelVersion?: number;
  }): Uint8Array {
    const graph: OnnxTypes.IGraphProto = {
      name: this.graphName,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    };
    const model: OnnxTypes.IModelProto = {
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: "", version: ONNX_OPSET }],
      producerName: meta.producerName,
      producerVersion: meta.producerVersion,
      docString: meta.docString,
      modelVersion: meta.modelVersion ?? 1,
      graph,
    };
    const err = onnx.ModelProto.verify(model);
    if (err) throw new Error(`invalid ModelProto: ${err}`);
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}
