/**
 * A minimal Open Inference Protocol server that follows the specification,
 * written independently of src/inference (it shares only the spec helpers of
 * oip-conformance.ts). It checks every request a client sends against the
 * client side of the conformance suite and records violations, and it can
 * misbehave on demand (reset connections, 500, 503, hang, not ready) or take
 * a fixed time per request, one request at a time, like a busy GPU node.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  HEADER_LENGTH,
  SPEC_ELEMENT_BYTES,
  binaryBody,
  fromLeBytes,
  inferRequestViolations,
  leBytes,
  modelOfPath,
  probeRequestViolations,
  product,
  type SeenRequest,
} from "./oip-conformance.js";

export interface FakeTensor {
  readonly name: string;
  readonly datatype: string;
  /** With the batch dimension first (-1). */
  readonly shape: readonly number[];
}

export interface FakeModel {
  readonly name: string;
  readonly inputs: readonly FakeTensor[];
  readonly outputs: readonly FakeTensor[];
  readonly maxBatch?: number;
  /**
   * Output values (row-major, whole batch) for each output name. `inputs()`
   * decodes the request's tensors on demand (benchmarks skip it).
   */
  compute(inputs: () => Map<string, number[]>, batch: number): Map<string, number[]>;
}

export type FakeMode = "ok" | "reset" | "http500" | "http503" | "hang" | "notready";

export interface FakeOipServerOptions {
  readonly models: readonly FakeModel[];
  /** Advertise and accept the binary tensor data extension (default true). */
  readonly binaryExtension?: boolean;
  /** Time each inference takes; requests are served one at a time (a GPU's queue). */
  readonly latencyMs?: number;
  /** Required bearer token (default: none). */
  readonly token?: string;
  /** Check each request against the conformance suite's client side (default true). */
  readonly validate?: boolean;
  /** Keep every request (default true; benchmarks turn it off). */
  readonly record?: boolean;
  /**
   * Benchmarks: keep only the JSON header of binary requests and drop the
   * tensor bytes as they arrive (no copy, no checks); compute() must not
   * call inputs().
   */
  readonly discardTensorData?: boolean;
}

export interface FakeOipServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Spec violations found in client requests. */
  readonly violations: string[];
  mode: FakeMode;
  /** Inference requests answered 200. */
  inferred: number;
  /** Time spent "computing" (latencyMs per request). */
  busyMs: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const b = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": b.length });
  res.end(b);
}

class BadRequest extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function flat(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

export async function startFakeOipServer(opts: FakeOipServerOptions): Promise<FakeOipServer> {
  const binaryExtension = opts.binaryExtension ?? true;
  const validate = opts.validate ?? true;
  const record = opts.record ?? true;
  const discard = opts.discardTensorData ?? false;
  const byName = new Map(opts.models.map((m) => [m.name, m]));
  let queue: Promise<void> = Promise.resolve();
  const fake = {
    requests: [] as SeenRequest[],
    violations: [] as string[],
    mode: "ok",
    inferred: 0,
    busyMs: 0,
  } as FakeOipServer & { url: string };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const seen: SeenRequest = { method: req.method ?? "", path, headers: req.headers, body };
    if (record) fake.requests.push(seen);
    if (fake.mode === "reset") {
      req.socket.destroy();
      return;
    }
    if (fake.mode === "hang") return;
    if (validate) {
      const v = path.endsWith("/infer")
        ? inferRequestViolations(seen)
        : probeRequestViolations(seen);
      fake.violations.push(...v.map((x) => `${req.method} ${path}: ${x}`));
    }
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      send(res, 401, { error: "unauthorized" });
      return;
    }
    const ready = fake.mode !== "notready";
    if (req.method === "GET") {
      if (path === "/v2/health/live") return send(res, 200, { live: true });
      if (path === "/v2/health/ready") return send(res, ready ? 200 : 400, { ready });
      if (path === "/v2")
        return send(res, 200, {
          name: "fake-oip",
          version: "0",
          extensions: binaryExtension ? ["binary_tensor_data"] : [],
        });
      const mp = modelOfPath(path);
      const model = mp ? byName.get(mp.name) : undefined;
      if (!mp || !model || (mp.version !== undefined && mp.version !== "1"))
        return send(res, 404, { error: "unknown model" });
      if (path.endsWith("/ready")) return send(res, ready ? 200 : 400, { name: model.name, ready });
      return send(res, 200, {
        name: model.name,
        versions: ["1"],
        platform: "fake",
        inputs: model.inputs,
        outputs: model.outputs,
      });
    }
    const mp = modelOfPath(path);
    const model = mp ? byName.get(mp.name) : undefined;
    if (req.method !== "POST" || !path.endsWith("/infer"))
      return send(res, 404, { error: "no such path" });
    if (!model) return send(res, 404, { error: "unknown model" });
    if (fake.mode === "http500") return send(res, 500, { error: "injected failure" });
    if (fake.mode === "http503" || !ready) return send(res, 503, { error: "busy" });

    const hlRaw = req.headers[HEADER_LENGTH];
    const hl = Array.isArray(hlRaw) ? hlRaw[0] : hlRaw;
    let decoded: {
      id: unknown;
      batch: number;
      inputs: () => Map<string, number[]>;
      outputs: { name: string; binary: boolean }[];
    };
    try {
      if (hl !== undefined && !binaryExtension)
        throw new BadRequest("binary tensor data is not supported");
      const n = hl === undefined ? body.length : Number(hl);
      if (!Number.isInteger(n) || n > body.length)
        throw new BadRequest("bad Inference-Header-Content-Length");
      let head: unknown;
      try {
        head = JSON.parse(body.subarray(0, n).toString("utf8"));
      } catch {
        throw new BadRequest("the JSON part does not parse");
      }
      if (!isObject(head) || !Array.isArray(head.inputs)) throw new BadRequest("inputs missing");
      const tail = body.subarray(n);
      let offset = 0;
      let batch = -1;
      const readers = new Map<string, () => number[]>();
      for (const spec of model.inputs) {
        const input = (head.inputs as Record<string, unknown>[]).find((x) => x.name === spec.name);
        if (!input) throw new BadRequest(`input ${spec.name} missing`);
        if (input.datatype !== spec.datatype)
          throw new BadRequest(`input ${spec.name}: wrong datatype`);
        const shape = input.shape as number[];
        if (
          !Array.isArray(shape) ||
          shape.length !== spec.shape.length ||
          !spec.shape.every((d, i) => d === -1 || d === shape[i])
        )
          throw new BadRequest(`input ${spec.name}: wrong shape`);
        if (batch !== -1 && shape[0] !== batch) throw new BadRequest("batch sizes differ");
        batch = shape[0]!;
        const count = product(shape);
        const size = isObject(input.parameters) ? input.parameters.binary_data_size : undefined;
        if (size !== undefined && discard) {
          readers.set(spec.name, () => {
            throw new Error("tensor data was discarded (discardTensorData)");
          });
        } else if (size !== undefined) {
          const bytes = count * SPEC_ELEMENT_BYTES[spec.datatype]!;
          if (size !== bytes || offset + bytes > tail.length)
            throw new BadRequest(`input ${spec.name}: bad binary size`);
          const slice = tail.subarray(offset, offset + bytes);
          offset += bytes;
          readers.set(spec.name, () => fromLeBytes(spec.datatype, slice));
        } else {
          const values = flat(input.data);
          if (values.length !== count || !values.every((x) => typeof x === "number"))
            throw new BadRequest(`input ${spec.name}: data does not fill the shape`);
          readers.set(spec.name, () => values);
        }
      }
      if (!discard && offset !== tail.length) throw new BadRequest("unaccounted binary data");
      if (batch < 1 || (model.maxBatch !== undefined && batch > model.maxBatch))
        throw new BadRequest("bad batch size");
      const byDefault = isObject(head.parameters) && head.parameters.binary_data_output === true;
      const asked = Array.isArray(head.outputs)
        ? (head.outputs as Record<string, unknown>[]).map((o) => ({
            name: String(o.name),
            binary:
              isObject(o.parameters) && typeof o.parameters.binary_data === "boolean"
                ? o.parameters.binary_data
                : byDefault,
          }))
        : model.outputs.map((o) => ({ name: o.name, binary: byDefault }));
      for (const o of asked)
        if (!model.outputs.some((x) => x.name === o.name))
          throw new BadRequest(`no output ${o.name}`);
      decoded = {
        id: head.id,
        batch,
        inputs: () => new Map([...readers].map(([k, r]) => [k, r()])),
        outputs: asked,
      };
    } catch (err) {
      if (err instanceof BadRequest) return send(res, 400, { error: err.message });
      throw err;
    }

    // One inference at a time, each taking latencyMs.
    const run = queue.then(async () => {
      if (opts.latencyMs) {
        await new Promise((r) => setTimeout(r, opts.latencyMs));
        fake.busyMs += opts.latencyMs;
      }
      return model.compute(decoded.inputs, decoded.batch);
    });
    queue = run.then(
      () => undefined,
      () => undefined,
    );
    const values = await run;
    if (res.destroyed) return;
    const chunks: Buffer[] = [];
    const outputs = decoded.outputs.map(({ name, binary }) => {
      const spec = model.outputs.find((o) => o.name === name)!;
      const v = values.get(name)!;
      const shape = [decoded.batch, ...spec.shape.slice(1)];
      if (!binary) return { name, datatype: spec.datatype, shape, data: v };
      const b = leBytes(spec.datatype, v);
      chunks.push(b);
      return { name, datatype: spec.datatype, shape, parameters: { binary_data_size: b.length } };
    });
    const head: Record<string, unknown> = { model_name: model.name, model_version: "1" };
    if (typeof decoded.id === "string") head.id = decoded.id;
    head.outputs = outputs;
    fake.inferred++;
    if (chunks.length === 0) return send(res, 200, head);
    const { body: out, headerLength } = binaryBody(head, chunks);
    res.writeHead(200, {
      "Content-Type": "application/octet-stream",
      "Content-Length": out.length,
      "Inference-Header-Content-Length": headerLength,
    });
    res.end(out);
  };

  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    const hl = Number(req.headers[HEADER_LENGTH] ?? NaN);
    let kept = 0;
    req.on("data", (c: Buffer) => {
      if (discard && Number.isInteger(hl)) {
        if (kept < hl) parts.push(c.subarray(0, hl - kept));
        kept += c.length;
      } else parts.push(c);
    });
    req.on("end", () => {
      handle(req, res, Buffer.concat(parts)).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, { error: String(err) });
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return fake;
}

/**
 * A fake image encoder with the demo bundle's layout: FP32 [-1, c, s, s] in,
 * FP32 [-1, d] out; row r of the output is a fixed function of the image's
 * mean (so tests can predict it) unless `fixed` rows are given.
 */
export function fakeImageEncoder(o: {
  name: string;
  input: string;
  output: string;
  channels: number;
  size: number;
  dim: number;
  maxBatch?: number;
}): FakeModel {
  return {
    name: o.name,
    inputs: [{ name: o.input, datatype: "FP32", shape: [-1, o.channels, o.size, o.size] }],
    outputs: [{ name: o.output, datatype: "FP32", shape: [-1, o.dim] }],
    ...(o.maxBatch !== undefined ? { maxBatch: o.maxBatch } : {}),
    compute(inputs, batch) {
      const x = inputs().get(o.input)!;
      const per = x.length / batch;
      const out: number[] = [];
      for (let b = 0; b < batch; b++) {
        let sum = 0;
        for (let i = 0; i < per; i++) sum += x[b * per + i]!;
        const mean = sum / per;
        for (let k = 0; k < o.dim; k++) out.push(Math.fround(mean * (k + 1) - k / o.dim));
      }
      return new Map([[o.output, out]]);
    },
  };
}
