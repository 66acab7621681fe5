/**
 * A conformance suite for the Open Inference Protocol (KServe v2) HTTP/REST
 * API and its binary tensor data extension, written from the published
 * specification (kserve/open-inference-protocol; Triton's
 * extension_binary_data), independently of src/inference: requests are built
 * and responses read here byte by byte.
 *
 * Server side: describeOipServerConformance(title, target) registers mocha
 * tests that run against any base URL (radz worker, Triton, a fake).
 * Client side: inferRequestViolations() and probeRequestViolations() check a
 * request a client sent; test/inference/fake-oip-server.ts applies them to
 * every request it receives.
 */
import { expect } from "chai";

export const SPEC_DATATYPES = [
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

/** Bytes per element of the fixed-size types (BYTES is length-prefixed, FP16 is 2). */
export const SPEC_ELEMENT_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
};

export const HEADER_LENGTH = "inference-header-content-length";

// ---------------------------------------------------------------- byte layout

/** Little-endian, row-major, unpadded bytes of numeric values. */
export function leBytes(datatype: string, values: readonly number[]): Buffer {
  const size = SPEC_ELEMENT_BYTES[datatype];
  if (size === undefined || datatype === "FP16") throw new Error(`leBytes: ${datatype}`);
  const b = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    const o = i * size;
    switch (datatype) {
      case "FP32":
        b.writeFloatLE(v, o);
        break;
      case "FP64":
        b.writeDoubleLE(v, o);
        break;
      case "INT64":
        b.writeBigInt64LE(BigInt(v), o);
        break;
      case "UINT64":
        b.writeBigUInt64LE(BigInt(v), o);
        break;
      case "INT32":
        b.writeInt32LE(v, o);
        break;
      case "UINT32":
        b.writeUInt32LE(v, o);
        break;
      case "INT16":
        b.writeInt16LE(v, o);
        break;
      case "UINT16":
        b.writeUInt16LE(v, o);
        break;
      case "INT8":
        b.writeInt8(v, o);
        break;
      default:
        b.writeUInt8(v, o);
    }
  });
  return b;
}

/** Numbers from little-endian bytes. */
export function fromLeBytes(datatype: string, b: Buffer): number[] {
  const size = SPEC_ELEMENT_BYTES[datatype]!;
  const out: number[] = [];
  for (let o = 0; o + size <= b.length; o += size) {
    switch (datatype) {
      case "FP32":
        out.push(b.readFloatLE(o));
        break;
      case "FP64":
        out.push(b.readDoubleLE(o));
        break;
      case "INT64":
        out.push(Number(b.readBigInt64LE(o)));
        break;
      case "UINT64":
        out.push(Number(b.readBigUInt64LE(o)));
        break;
      case "INT32":
        out.push(b.readInt32LE(o));
        break;
      case "UINT32":
        out.push(b.readUInt32LE(o));
        break;
      case "INT16":
        out.push(b.readInt16LE(o));
        break;
      case "UINT16":
        out.push(b.readUInt16LE(o));
        break;
      case "INT8":
        out.push(b.readInt8(o));
        break;
      default:
        out.push(b.readUInt8(o));
    }
  }
  return out;
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function flatten(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flatten) : [v];
}

/** A JSON object followed by binary chunks, as the extension lays it out. */
export function binaryBody(
  json: unknown,
  chunks: readonly Buffer[],
): { body: Buffer; headerLength: number } {
  const head = Buffer.from(JSON.stringify(json), "utf8");
  return { body: Buffer.concat([head, ...chunks]), headerLength: head.length };
}

/** Splits a message into its JSON part and the bytes after it. */
export function splitMessage(
  body: Buffer,
  headerLength: string | null | undefined,
): { json: unknown; tail: Buffer } {
  const n =
    headerLength === null || headerLength === undefined ? body.length : Number(headerLength);
  return { json: JSON.parse(body.subarray(0, n).toString("utf8")), tail: body.subarray(n) };
}

// ---------------------------------------------------------------- client side

export interface SeenRequest {
  readonly method: string;
  /** Path without the endpoint's base path. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

function header(req: SeenRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?/;

/** What is wrong with a GET a client sent (health, metadata, readiness); [] when nothing. */
export function probeRequestViolations(req: SeenRequest): string[] {
  if (req.method !== "GET") return [`${req.method} ${req.path}: probes are GET requests`];
  const ok =
    req.path === "/v2" ||
    req.path === "/v2/health/live" ||
    req.path === "/v2/health/ready" ||
    /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?(\/ready)?$/.test(req.path);
  return ok ? [] : [`GET ${req.path} is not a path of the protocol`];
}

/** What is wrong with an inference request a client sent; [] when it follows the spec. */
export function inferRequestViolations(req: SeenRequest): string[] {
  const v: string[] = [];
  if (req.method !== "POST") v.push("inference must be a POST");
  if (!/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer$/.test(req.path))
    v.push(`${req.path} is not an inference path`);
  const cl = header(req, "content-length");
  if (cl !== undefined && Number(cl) !== req.body.length)
    v.push(`Content-Length ${cl} is not the body length ${req.body.length}`);
  const hl = header(req, HEADER_LENGTH);
  let jsonLength = req.body.length;
  if (hl !== undefined) {
    if (!/^\d+$/.test(hl)) return [...v, "Inference-Header-Content-Length is not a byte count"];
    jsonLength = Number(hl);
    if (jsonLength > req.body.length)
      return [...v, "Inference-Header-Content-Length exceeds the body"];
  }
  let json: unknown;
  try {
    json = JSON.parse(req.body.subarray(0, jsonLength).toString("utf8"));
  } catch {
    return [...v, "the JSON part does not parse"];
  }
  if (!isObject(json)) return [...v, "$inference_request must be a JSON object"];
  if (json.id !== undefined && typeof json.id !== "string") v.push("id must be a string");
  const paramsOk = (p: unknown) =>
    p === undefined ||
    (isObject(p) &&
      Object.values(p).every((x) => ["string", "number", "boolean"].includes(typeof x)));
  if (!paramsOk(json.parameters)) v.push("request parameters must map names to scalars");
  if (!Array.isArray(json.inputs) || json.inputs.length === 0)
    return [...v, "inputs must be a non-empty array"];
  let binaryTotal = 0;
  for (const [i, input] of json.inputs.entries()) {
    if (!isObject(input)) {
      v.push(`inputs[${i}] is not an object`);
      continue;
    }
    if (typeof input.name !== "string") v.push(`inputs[${i}].name must be a string`);
    if (!(SPEC_DATATYPES as readonly string[]).includes(input.datatype as string))
      v.push(`inputs[${i}].datatype is not a protocol datatype`);
    const shape = input.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      v.push(`inputs[${i}].shape must be non-negative integers`);
      continue;
    }
    if (!paramsOk(input.parameters)) v.push(`inputs[${i}].parameters must map names to scalars`);
    const size = isObject(input.parameters) ? input.parameters.binary_data_size : undefined;
    const count = product(shape as number[]);
    if (size !== undefined) {
      if (hl === undefined) v.push(`inputs[${i}] is binary but the header length is missing`);
      if (input.data !== undefined) v.push(`inputs[${i}] has data and binary_data_size`);
      const expected = count * (SPEC_ELEMENT_BYTES[input.datatype as string] ?? NaN);
      if (size !== expected)
        v.push(`inputs[${i}].binary_data_size ${JSON.stringify(size)} != ${expected}`);
      binaryTotal += typeof size === "number" ? size : 0;
    } else {
      if (input.data === undefined) v.push(`inputs[${i}] has neither data nor binary_data_size`);
      else if (flatten(input.data).length !== count)
        v.push(
          `inputs[${i}].data has ${flatten(input.data).length} elements, shape needs ${count}`,
        );
    }
  }
  if (hl !== undefined && binaryTotal !== req.body.length - jsonLength)
    v.push(
      `binary data after the JSON is ${req.body.length - jsonLength} bytes; binary_data_size adds up to ${binaryTotal}`,
    );
  if (json.outputs !== undefined) {
    if (!Array.isArray(json.outputs)) v.push("outputs must be an array");
    else
      json.outputs.forEach((o, i) => {
        if (!isObject(o) || typeof o.name !== "string") v.push(`outputs[${i}] needs a name`);
        else if (!paramsOk(o.parameters))
          v.push(`outputs[${i}].parameters must map names to scalars`);
        else if (
          isObject(o.parameters) &&
          o.parameters.binary_data !== undefined &&
          typeof o.parameters.binary_data !== "boolean"
        )
          v.push(`outputs[${i}].parameters.binary_data must be a boolean`);
      });
  }
  const ct = header(req, "content-type");
  if (hl === undefined && ct !== undefined && !/json/i.test(ct))
    v.push(`a JSON-only request should not be sent as ${ct}`);
  return v;
}

/** The model name and version in an /v2/models/... path. */
export function modelOfPath(
  path: string,
): { name: string; version: string | undefined } | undefined {
  const m = MODEL_PATH.exec(path);
  return m ? { name: decodeURIComponent(m[1]!), version: m[2] } : undefined;
}

// ---------------------------------------------------------------- server side

export interface ConformanceTensor {
  readonly name: string;
  readonly datatype: "FP32" | "FP64" | "INT64" | "INT32";
  /** Shape of one item, without the batch dimension. */
  readonly shape: readonly number[];
  /** Value of element i of item b (defaults: small deterministic numbers). */
  readonly value?: (b: number, i: number) => number;
}

export interface ConformanceModel {
  readonly name: string;
  readonly inputs: readonly ConformanceTensor[];
  /** Output names the model must return. */
  readonly outputs: readonly string[];
  /** When known: requests with a larger batch must be refused with 400. */
  readonly maxBatch?: number;
}

export interface ConformanceTarget {
  readonly baseUrl: string;
  readonly token?: string;
  readonly models: readonly ConformanceModel[];
}

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

async function call(
  t: ConformanceTarget,
  method: "GET" | "POST",
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const h: Record<string, string> = { ...headers };
  if (t.token) h.Authorization = `Bearer ${t.token}`;
  const r = await fetch(`${t.baseUrl.replace(/\/$/, "")}${path}`, {
    method,
    headers: h,
    ...(body ? { body } : {}),
  });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

function json(r: Reply): Record<string, unknown> {
  const v: unknown = JSON.parse(r.body.toString("utf8"));
  expect(v, "JSON object").to.be.an("object");
  return v as Record<string, unknown>;
}

function expectError(r: Reply, statuses: readonly number[]): void {
  expect(statuses, `status ${r.status}: ${r.body.toString("utf8").slice(0, 200)}`).to.include(
    r.status,
  );
  const body = json(r);
  expect(body.error, "error response { error: string }").to.be.a("string").and.not.equal("");
}

function defaultValue(datatype: string, b: number, i: number): number {
  if (datatype === "FP32" || datatype === "FP64")
    return Math.fround(((b * 7919 + i * 31) % 997) / 997);
  return 1 + ((b * 3 + i) % 5);
}

function itemValues(t: ConformanceTensor, b: number): number[] {
  const n = product(t.shape);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(t.value ? t.value(b, i) : defaultValue(t.datatype, b, i));
  return out;
}

function batchValues(t: ConformanceTensor, batch: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < batch; b++) out.push(...itemValues(t, b));
  return out;
}

function jsonRequest(m: ConformanceModel, batch: number, extra: Record<string, unknown> = {}) {
  return {
    ...extra,
    inputs: m.inputs.map((t) => ({
      name: t.name,
      shape: [batch, ...t.shape],
      datatype: t.datatype,
      data: batchValues(t, batch),
    })),
  };
}

function binaryRequest(m: ConformanceModel, batch: number, extra: Record<string, unknown> = {}) {
  const chunks = m.inputs.map((t) => leBytes(t.datatype, batchValues(t, batch)));
  const head = {
    ...extra,
    inputs: m.inputs.map((t, i) => ({
      name: t.name,
      shape: [batch, ...t.shape],
      datatype: t.datatype,
      parameters: { binary_data_size: chunks[i]!.length },
    })),
  };
  return binaryBody(head, chunks);
}

interface ReadOutput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  readonly values: number[];
  readonly binary: boolean;
}

/** Reads every output of an inference response, JSON or binary, checking the layout. */
function readOutputs(r: Reply): { response: Record<string, unknown>; outputs: ReadOutput[] } {
  const hl = r.headers.get(HEADER_LENGTH);
  const { json: head, tail } = splitMessage(r.body, hl);
  expect(head, "$inference_response").to.be.an("object");
  const response = head as Record<string, unknown>;
  expect(response.model_name, "model_name").to.be.a("string");
  expect(response.outputs, "outputs").to.be.an("array");
  let offset = 0;
  const outputs = (response.outputs as Record<string, unknown>[]).map((o) => {
    expect(o.name, "output name").to.be.a("string");
    expect(SPEC_DATATYPES, "output datatype").to.include(o.datatype);
    expect(o.shape, "output shape").to.be.an("array");
    const shape = o.shape as number[];
    const size = isObject(o.parameters) ? o.parameters.binary_data_size : undefined;
    if (size !== undefined) {
      expect(hl, "binary output needs Inference-Header-Content-Length").to.not.equal(null);
      expect(size).to.equal(product(shape) * SPEC_ELEMENT_BYTES[o.datatype as string]!);
      expect(o.data, "binary output carries no data").to.equal(undefined);
      const bytes = tail.subarray(offset, offset + (size as number));
      offset += size as number;
      return {
        name: o.name as string,
        datatype: o.datatype as string,
        shape,
        values: fromLeBytes(o.datatype as string, bytes),
        binary: true,
      };
    }
    const values = flatten(o.data) as number[];
    expect(values.length, `output ${String(o.name)} element count`).to.equal(product(shape));
    return { name: o.name as string, datatype: o.datatype as string, shape, values, binary: false };
  });
  expect(offset, "binary tail length equals the sum of binary_data_size").to.equal(tail.length);
  return { response, outputs };
}

function expectSameValues(a: readonly number[], b: readonly number[]): void {
  expect(a.length).to.equal(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]!).to.be.closeTo(b[i]!, 1e-6);
}

/**
 * Registers the server-side conformance tests. `target` is called when the
 * tests run (after the caller's before() hooks started the server).
 */
export function describeOipServerConformance(title: string, target: () => ConformanceTarget): void {
  describe(`Open Inference Protocol conformance: ${title}`, function () {
    this.timeout(30_000);

    describe("health", () => {
      it("GET /v2/health/live answers 200", async () => {
        const r = await call(target(), "GET", "/v2/health/live");
        expect(r.status).to.equal(200);
        if (r.body.length > 0) expect(json(r).live).to.not.equal(false);
      });
      it("GET /v2/health/ready answers 200", async () => {
        const r = await call(target(), "GET", "/v2/health/ready");
        expect(r.status).to.equal(200);
        if (r.body.length > 0) expect(json(r).ready).to.not.equal(false);
      });
    });

    describe("server metadata", () => {
      it("GET /v2 answers { name, version, extensions[] }", async () => {
        const r = await call(target(), "GET", "/v2");
        expect(r.status).to.equal(200);
        const m = json(r);
        expect(m.name).to.be.a("string");
        expect(m.version).to.be.a("string");
        expect(m.extensions).to.be.an("array");
        for (const e of m.extensions as unknown[]) expect(e).to.be.a("string");
      });
    });

    describe("model metadata and readiness", () => {
      it("GET /v2/models/{name} describes every tensor with name, datatype and shape", async () => {
        for (const model of target().models) {
          const r = await call(target(), "GET", `/v2/models/${encodeURIComponent(model.name)}`);
          expect(r.status, model.name).to.equal(200);
          const m = json(r);
          expect(m.name).to.equal(model.name);
          expect(m.platform).to.be.a("string");
          if (m.versions !== undefined) {
            expect(m.versions).to.be.an("array");
            for (const v of m.versions as unknown[]) expect(v).to.be.a("string");
          }
          for (const key of ["inputs", "outputs"] as const) {
            expect(m[key]).to.be.an("array");
            for (const t of m[key] as Record<string, unknown>[]) {
              expect(t.name).to.be.a("string");
              expect(SPEC_DATATYPES).to.include(t.datatype);
              expect(t.shape).to.be.an("array");
              for (const d of t.shape as unknown[]) {
                expect(Number.isInteger(d), "integer dimension").to.equal(true);
                expect(d).to.be.at.least(-1);
              }
            }
          }
          const inputs = m.inputs as { name: string; datatype: string; shape: number[] }[];
          for (const t of model.inputs) {
            const meta = inputs.find((x) => x.name === t.name);
            expect(meta, `input ${t.name}`).to.not.equal(undefined);
            expect(meta!.datatype).to.equal(t.datatype);
            expect(meta!.shape.length).to.equal(t.shape.length + 1);
            expect(meta!.shape[0], "variable batch dimension").to.equal(-1);
            t.shape.forEach((d, i) => expect([-1, d]).to.include(meta!.shape[i + 1]));
          }
          const outputNames = (m.outputs as { name: string }[]).map((o) => o.name);
          for (const o of model.outputs) expect(outputNames).to.include(o);
        }
      });
      it("serves each listed version under /versions/{version}", async () => {
        for (const model of target().models) {
          const base = `/v2/models/${encodeURIComponent(model.name)}`;
          const m = json(await call(target(), "GET", base));
          for (const v of (m.versions as string[] | undefined) ?? []) {
            const r = await call(target(), "GET", `${base}/versions/${encodeURIComponent(v)}`);
            expect(r.status).to.equal(200);
            expect(json(r).name).to.equal(model.name);
            expect((await call(target(), "GET", `${base}/versions/${v}/ready`)).status).to.equal(
              200,
            );
          }
        }
      });
      it("GET /v2/models/{name}/ready answers 200", async () => {
        for (const model of target().models) {
          const r = await call(
            target(),
            "GET",
            `/v2/models/${encodeURIComponent(model.name)}/ready`,
          );
          expect(r.status, model.name).to.equal(200);
        }
      });
      it("an unknown model is an error with { error } (metadata, ready, infer)", async () => {
        const t = target();
        expectError(await call(t, "GET", "/v2/models/no-such-model-xyz"), [400, 404]);
        expect((await call(t, "GET", "/v2/models/no-such-model-xyz/ready")).status).to.not.equal(
          200,
        );
        const m = t.models[0]!;
        const body = Buffer.from(JSON.stringify(jsonRequest(m, 1)));
        expectError(
          await call(t, "POST", "/v2/models/no-such-model-xyz/infer", body, {
            "Content-Type": "application/json",
          }),
          [400, 404],
        );
      });
    });

    describe("inference with JSON tensors", () => {
      it("returns every output with shape, datatype and row-major data; echoes id", async () => {
        for (const model of target().models) {
          const body = Buffer.from(JSON.stringify(jsonRequest(model, 2, { id: "conf-1" })));
          const r = await call(target(), "POST", `/v2/models/${model.name}/infer`, body, {
            "Content-Type": "application/json",
          });
          expect(r.status, r.body.toString("utf8").slice(0, 300)).to.equal(200);
          expect(r.headers.get(HEADER_LENGTH), "no binary data, no header").to.equal(null);
          const { response, outputs } = readOutputs(r);
          expect(response.model_name).to.equal(model.name);
          expect(response.id).to.equal("conf-1");
          for (const name of model.outputs) {
            const o = outputs.find((x) => x.name === name);
            expect(o, `output ${name}`).to.not.equal(undefined);
            expect(o!.shape[0], "batch dimension of the output").to.equal(2);
            expect(o!.binary).to.equal(false);
          }
        }
      });
      it("accepts nested (natural-shape) data like flat data", async () => {
        const model = target().models[0]!;
        const flat = jsonRequest(model, 2);
        const nest = (values: number[], shape: readonly number[]): unknown => {
          if (shape.length <= 1) return values;
          const step = product(shape.slice(1));
          const out: unknown[] = [];
          for (let i = 0; i < shape[0]!; i++)
            out.push(nest(values.slice(i * step, (i + 1) * step), shape.slice(1)));
          return out;
        };
        // Nesting is about the inputs: ask for the first output only, so a
        // model with a large spatial output does not spend the test's time
        // writing and comparing megabytes of JSON.
        const outputs = [{ name: model.outputs[0]! }];
        const nested = {
          inputs: flat.inputs.map((x) => ({ ...x, data: nest(x.data, x.shape) })),
          outputs,
        };
        const ask = async (b: unknown) =>
          readOutputs(
            await call(
              target(),
              "POST",
              `/v2/models/${model.name}/infer`,
              Buffer.from(JSON.stringify(b)),
              {
                "Content-Type": "application/json",
              },
            ),
          ).outputs;
        const a = await ask({ ...flat, outputs });
        expect(a.map((o) => o.name)).to.deep.equal([model.outputs[0]]);
        const b = await ask(nested);
        for (const o of a) expectSameValues(o.values, b.find((x) => x.name === o.name)!.values);
      });
      it("returns only the requested outputs", async () => {
        const model = target().models[0]!;
        const only = model.outputs[0]!;
        const body = Buffer.from(
          JSON.stringify({ ...jsonRequest(model, 1), outputs: [{ name: only }] }),
        );
        const r = await call(target(), "POST", `/v2/models/${model.name}/infer`, body, {
          "Content-Type": "application/json",
        });
        expect(r.status).to.equal(200);
        expect(readOutputs(r).outputs.map((o) => o.name)).to.deep.equal([only]);
      });
    });

    describe("binary tensor data extension", () => {
      let supported = false;
      before(async function () {
        const m = json(await call(target(), "GET", "/v2"));
        supported = (m.extensions as string[]).includes("binary_tensor_data");
        if (!supported) this.skip();
      });

      it("binary inputs and binary_data_output: JSON header, then each output's bytes in order", async () => {
        for (const model of target().models) {
          const { body, headerLength } = binaryRequest(model, 2, {
            id: "bin-1",
            parameters: { binary_data_output: true },
          });
          const r = await call(target(), "POST", `/v2/models/${model.name}/infer`, body, {
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": String(headerLength),
          });
          expect(r.status, r.body.toString("utf8").slice(0, 300)).to.equal(200);
          const hl = r.headers.get(HEADER_LENGTH);
          expect(hl, "Inference-Header-Content-Length").to.match(/^\d+$/);
          expect(Number(r.headers.get("content-length") ?? r.body.length)).to.equal(r.body.length);
          const { response, outputs } = readOutputs(r);
          expect(response.id).to.equal("bin-1");
          for (const o of outputs) expect(o.binary, `${o.name} is binary`).to.equal(true);

          // Same numbers as the JSON encoding of the same request.
          const j = readOutputs(
            await call(
              target(),
              "POST",
              `/v2/models/${model.name}/infer`,
              Buffer.from(JSON.stringify(jsonRequest(model, 2))),
              { "Content-Type": "application/json" },
            ),
          ).outputs;
          for (const o of outputs)
            expectSameValues(o.values, j.find((x) => x.name === o.name)!.values);
        }
      });
      it("binary inputs with JSON outputs (no binary_data asked): a plain JSON response", async () => {
        const model = target().models[0]!;
        const { body, headerLength } = binaryRequest(model, 1);
        const r = await call(target(), "POST", `/v2/models/${model.name}/infer`, body, {
          "Content-Type": "application/octet-stream",
          "Inference-Header-Content-Length": String(headerLength),
        });
        expect(r.status).to.equal(200);
        expect(r.headers.get(HEADER_LENGTH)).to.equal(null);
        for (const o of readOutputs(r).outputs) expect(o.binary).to.equal(false);
      });
      it("per-output binary_data overrides binary_data_output", async () => {
        const model = target().models[0]!;
        const name = model.outputs[0]!;
        const body = Buffer.from(
          JSON.stringify({
            ...jsonRequest(model, 1),
            parameters: { binary_data_output: true },
            outputs: [{ name, parameters: { binary_data: false } }],
          }),
        );
        const r = await call(target(), "POST", `/v2/models/${model.name}/infer`, body, {
          "Content-Type": "application/json",
        });
        expect(r.status).to.equal(200);
        const outs = readOutputs(r).outputs;
        expect(outs.map((o) => [o.name, o.binary])).to.deep.equal([[name, false]]);

        const body2 = Buffer.from(
          JSON.stringify({
            ...jsonRequest(model, 1),
            outputs: [{ name, parameters: { binary_data: true } }],
          }),
        );
        const r2 = await call(target(), "POST", `/v2/models/${model.name}/infer`, body2, {
          "Content-Type": "application/json",
        });
        expect(r2.status).to.equal(200);
        expect(readOutputs(r2).outputs.map((o) => [o.name, o.binary])).to.deep.equal([
          [name, true],
        ]);
      });
      it("refuses binary data shorter than binary_data_size with 400 { error }", async () => {
        const model = target().models[0]!;
        const { body, headerLength } = binaryRequest(model, 1);
        const r = await call(
          target(),
          "POST",
          `/v2/models/${model.name}/infer`,
          body.subarray(0, body.length - 4),
          {
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": String(headerLength),
          },
        );
        expectError(r, [400]);
      });
      it("refuses a header length beyond the body with 400 { error }", async () => {
        const model = target().models[0]!;
        const { body } = binaryRequest(model, 1);
        const r = await call(target(), "POST", `/v2/models/${model.name}/infer`, body, {
          "Content-Type": "application/octet-stream",
          "Inference-Header-Content-Length": String(body.length + 10),
        });
        expectError(r, [400]);
      });
    });

    describe("error shapes", () => {
      const post = (path: string, body: Buffer | string) =>
        call(target(), "POST", path, Buffer.from(body), { "Content-Type": "application/json" });
      it("a body that is not JSON: 400 { error }", async () => {
        expectError(await post(`/v2/models/${target().models[0]!.name}/infer`, "{not json"), [400]);
      });
      it("a missing input: 400 { error }", async () => {
        const model = target().models[0]!;
        const req = jsonRequest(model, 1);
        expectError(
          await post(
            `/v2/models/${model.name}/infer`,
            JSON.stringify({ inputs: req.inputs.slice(1) }),
          ),
          [400],
        );
      });
      it("a wrong datatype: 400 { error }", async () => {
        const model = target().models[0]!;
        const req = jsonRequest(model, 1);
        const wrong = req.inputs.map((x, i) =>
          i === 0 ? { ...x, datatype: x.datatype === "FP32" ? "INT32" : "FP32" } : x,
        );
        expectError(
          await post(`/v2/models/${model.name}/infer`, JSON.stringify({ inputs: wrong })),
          [400],
        );
      });
      it("data that does not fill the shape: 400 { error }", async () => {
        const model = target().models[0]!;
        const req = jsonRequest(model, 1);
        const short = req.inputs.map((x, i) => (i === 0 ? { ...x, data: x.data.slice(1) } : x));
        expectError(
          await post(`/v2/models/${model.name}/infer`, JSON.stringify({ inputs: short })),
          [400],
        );
      });
      it("a shape the model does not take: 400 { error }", async () => {
        const model =
          target().models.find((m) => m.inputs[0]!.shape.every((d) => d > 1)) ??
          target().models[0]!;
        const t = model.inputs[0]!;
        const shape = [1, ...t.shape.map((d, i) => (i === 0 ? d + 1 : d))];
        const bad = {
          inputs: [
            { name: t.name, datatype: t.datatype, shape, data: new Array(product(shape)).fill(0) },
          ],
        };
        expectError(await post(`/v2/models/${model.name}/infer`, JSON.stringify(bad)), [400]);
      });
      it("an unknown requested output: 400 { error }", async () => {
        const model = target().models[0]!;
        const body = JSON.stringify({
          ...jsonRequest(model, 1),
          outputs: [{ name: "no_such_output" }],
        });
        expectError(await post(`/v2/models/${model.name}/infer`, body), [400]);
      });
      it("a batch above the model's max batch size: 400 { error }", async function () {
        const model = target().models.find((m) => m.maxBatch !== undefined);
        if (!model) this.skip();
        const body = JSON.stringify(jsonRequest(model, model.maxBatch! + 1));
        expectError(await post(`/v2/models/${model.name}/infer`, body), [400]);
      });
    });
  });
}
