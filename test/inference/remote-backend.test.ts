/**
 * The remote backend (client side) against the minimal spec-following fake:
 * every request it sends must pass the conformance suite's client checks,
 * and it must spread, time out, fail over, probe back in and fall back to
 * JSON as documented in src/inference/remote/remote-backend.ts.
 */
import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import { RemoteBackend, type RemoteBackendOptions } from "../../src/inference/index.js";
import { silentLogger } from "../../src/observability/index.js";
import {
  fakeImageEncoder,
  startFakeOipServer,
  type FakeModel,
  type FakeOipServer,
  type FakeOipServerOptions,
} from "./fake-oip-server.js";
import { HEADER_LENGTH } from "./oip-conformance.js";
import { waitFor } from "../helpers/wait.js";

const SIZE = 6;
const DIM = 4;
const MODEL = "m-image";

function model(maxBatch?: number): FakeModel {
  return fakeImageEncoder({
    name: MODEL,
    input: "image",
    output: "embedding",
    channels: 1,
    size: SIZE,
    dim: DIM,
    ...(maxBatch !== undefined ? { maxBatch } : {}),
  });
}

function image(v: number): Float32Array {
  return new Float32Array(SIZE * SIZE).fill(v);
}

/** What fakeImageEncoder returns for an image filled with v. */
function expected(v: number): number[] {
  const mean = Math.fround(v);
  return Array.from({ length: DIM }, (_, k) => Math.fround(mean * (k + 1) - k / DIM));
}

describe("inference/remote backend (client side, against the fake)", function () {
  this.timeout(20_000);
  const fakes: FakeOipServer[] = [];
  const backends: RemoteBackend[] = [];

  async function fake(o: Partial<FakeOipServerOptions> = {}): Promise<FakeOipServer> {
    const f = await startFakeOipServer({ models: [model()], ...o });
    fakes.push(f);
    return f;
  }

  async function backend(
    urls: readonly string[],
    o: Partial<RemoteBackendOptions> = {},
  ): Promise<RemoteBackend> {
    const b = new RemoteBackend({
      endpoints: urls.map((url) => ({ url })),
      modelName: MODEL,
      inputName: "image",
      outputName: "embedding",
      inputShape: [1, SIZE, SIZE],
      embeddingSize: DIM,
      timeoutMs: 2_000,
      maxAttempts: 3,
      probeIntervalMs: 100,
      maxBatch: 8,
      binary: true,
      logger: silentLogger(),
      ...o,
    });
    backends.push(b);
    await b.start();
    return b;
  }

  afterEach(async () => {
    for (const f of fakes)
      expect(f.violations, "client requests that break the spec").to.deep.equal([]);
    await Promise.all(backends.splice(0).map((b) => b.close()));
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });

  it("probes, then sends binary tensors and reads binary outputs", async () => {
    const f = await fake();
    const b = await backend([f.url]);
    expect(b.describe().ready).to.equal(true);
    expect(b.describe().endpoints![0]!.binary).to.equal(true);
    const rows = await b.embedImages([image(0.25), image(0.5)]);
    expect(rows.map((r) => Array.from(r))).to.deep.equal([expected(0.25), expected(0.5)]);
    const infer = f.requests.filter((r) => r.path.endsWith("/infer"));
    expect(infer).to.have.length(1);
    expect(infer[0]!.headers[HEADER_LENGTH]).to.match(/^\d+$/);
    const probes = f.requests.filter((r) => r.method === "GET").map((r) => r.path);
    expect(probes).to.include.members([
      "/v2/health/ready",
      "/v2",
      `/v2/models/${MODEL}`,
      `/v2/models/${MODEL}/ready`,
    ]);
  });

  it("falls back to JSON tensors when the server does not offer the binary extension", async () => {
    const f = await fake({ binaryExtension: false });
    const b = await backend([f.url]);
    expect(b.describe().endpoints![0]!.binary).to.equal(false);
    const rows = await b.embedImages([image(0.75)]);
    expect(Array.from(rows[0]!)).to.deep.equal(expected(0.75));
    const infer = f.requests.find((r) => r.path.endsWith("/infer"))!;
    expect(infer.headers[HEADER_LENGTH]).to.equal(undefined);
    expect(JSON.parse(infer.body.toString()).inputs[0].data).to.have.length(SIZE * SIZE);
  });

  it("uses JSON when inference.binary is false, even where binary is offered", async () => {
    const f = await fake();
    const b = await backend([f.url], { binary: false });
    await b.embedImages([image(0.1)]);
    expect(f.requests.find((r) => r.path.endsWith("/infer"))!.headers[HEADER_LENGTH]).to.equal(
      undefined,
    );
  });

  it("splits calls larger than maxBatch into several requests, keeping order", async () => {
    const f = await fake();
    const b = await backend([f.url], { maxBatch: 4 });
    const values = Array.from({ length: 10 }, (_, i) => i / 10);
    const rows = await b.embedImages(values.map(image));
    expect(rows.map((r) => Array.from(r))).to.deep.equal(values.map(expected));
    expect(f.requests.filter((r) => r.path.endsWith("/infer"))).to.have.length(3);
  });

  it("spreads concurrent batches by least outstanding requests", async () => {
    const fs = await Promise.all([
      fake({ latencyMs: 60 }),
      fake({ latencyMs: 60 }),
      fake({ latencyMs: 60 }),
    ]);
    const b = await backend(fs.map((f) => f.url));
    await Promise.all(Array.from({ length: 6 }, (_, i) => b.embedImages([image(i / 6)])));
    expect(fs.map((f) => f.inferred)).to.deep.equal([2, 2, 2]);
    // A slow endpoint accumulates outstanding requests, so the fast one gets more.
    const slow = await fake({ latencyMs: 300 });
    const fast = await fake({ latencyMs: 20 });
    const b2 = await backend([slow.url, fast.url]);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      calls.push(b2.embedImages([image(0.5)]));
      await new Promise((r) => setTimeout(r, 15));
    }
    await Promise.all(calls);
    expect(fast.inferred).to.be.greaterThan(slow.inferred);
  });

  it("fails over on a reset connection, takes the endpoint out, and probes it back in", async () => {
    const a = await fake();
    const c = await fake();
    const b = await backend([a.url, c.url]);
    a.mode = "reset";
    const rows = await Promise.all([0.1, 0.2, 0.3, 0.4].map((v) => b.embedImages([image(v)])));
    expect(rows.map((r) => Array.from(r[0]!))).to.deep.equal([0.1, 0.2, 0.3, 0.4].map(expected));
    const stateA = () => b.describe().endpoints![0]!.state;
    expect(stateA()).to.equal("down");
    expect(c.inferred).to.equal(4);
    a.mode = "ok";
    await waitFor(() => stateA() === "ready");
    await Promise.all([1, 2, 3, 4].map(() => b.embedImages([image(0.5)])));
    expect(a.inferred).to.be.greaterThan(0);
  });

  it("retries elsewhere after a per-request timeout (INFERENCE_REMOTE_TIMEOUT when all time out)", async () => {
    const a = await fake();
    const c = await fake();
    const b = await backend([a.url, c.url], { timeoutMs: 300 });
    a.mode = "hang";
    const started = Date.now();
    for (let i = 0; i < 3; i++) await b.embedImages([image(0.5)]);
    expect(Date.now() - started).to.be.below(1_500);
    expect(b.describe().endpoints![0]!.state).to.equal("down");
    c.mode = "hang";
    try {
      await b.embedImages([image(0.5)]);
      expect.fail("no endpoint answers, yet the call succeeded");
    } catch (err) {
      expect((err as RadzError).code).to.be.oneOf([
        "INFERENCE_REMOTE_TIMEOUT",
        "INFERENCE_REMOTE_UNAVAILABLE",
      ]);
      expect((err as RadzError).transient).to.equal(true);
    }
  });

  it("fails with INFERENCE_REMOTE_UNAVAILABLE (transient) when every endpoint is down", async () => {
    const a = await fake();
    const b = await backend([a.url]);
    await a.close();
    fakes.splice(fakes.indexOf(a), 1);
    try {
      await b.embedImages([image(0.5)]);
      expect.fail("succeeded without a server");
    } catch (err) {
      expect(err).to.be.instanceOf(RadzError);
      expect((err as RadzError).code).to.equal("INFERENCE_REMOTE_UNAVAILABLE");
      expect((err as RadzError).transient).to.equal(true);
    }
    expect(b.describe().ready).to.equal(false);
  });

  it("retries 500 and 503 on another endpoint; only a 500 takes the endpoint out", async () => {
    const a = await fake();
    const c = await fake();
    const b = await backend([a.url, c.url]);
    a.mode = "http503";
    await Promise.all([1, 2].map(() => b.embedImages([image(0.5)])));
    expect(b.describe().endpoints![0]!.state).to.equal("ready");
    a.mode = "http500";
    await Promise.all([1, 2].map(() => b.embedImages([image(0.5)])));
    expect(b.describe().endpoints![0]!.state).to.equal("down");
    expect(c.inferred).to.equal(4);
  });

  it("a 400 is the request's fault: INFERENCE_REMOTE_REJECTED (permanent), no retry", async () => {
    const f = await startFakeOipServer({ models: [model(2)] });
    fakes.push(f);
    const b = await backend([f.url], { maxBatch: 4 });
    try {
      await b.embedImages([image(0), image(0), image(0)]);
      expect.fail("an oversized batch was accepted");
    } catch (err) {
      expect((err as RadzError).code).to.equal("INFERENCE_REMOTE_REJECTED");
      expect((err as RadzError).transient).to.equal(false);
    }
    expect(f.requests.filter((r) => r.path.endsWith("/infer"))).to.have.length(1);
  });

  it("keeps an endpoint whose model does not match the bundle out, with the reason", async () => {
    const wrong = await startFakeOipServer({
      models: [
        fakeImageEncoder({
          name: MODEL,
          input: "image",
          output: "embedding",
          channels: 3,
          size: SIZE,
          dim: DIM,
        }),
      ],
    });
    fakes.push(wrong);
    const right = await fake();
    const b = await backend([wrong.url, right.url]);
    const [w] = b.describe().endpoints!;
    expect(w!.state).to.equal("unready");
    expect(w!.reason).to.match(/FP32 \[-1, 1, 6, 6\]/);
    await b.embedImages([image(0.5)]);
    expect(wrong.inferred).to.equal(0);
  });

  it("sends the endpoint's bearer token; a wrong one keeps the endpoint out", async () => {
    const f = await fake({ token: "s3cret" });
    const good = new RemoteBackend({
      endpoints: [{ url: f.url, token: "s3cret" }],
      modelName: MODEL,
      inputName: "image",
      outputName: "embedding",
      inputShape: [1, SIZE, SIZE],
      embeddingSize: DIM,
      timeoutMs: 2_000,
      maxAttempts: 2,
      probeIntervalMs: 100,
      maxBatch: 8,
      binary: true,
      logger: silentLogger(),
    });
    backends.push(good);
    await good.start();
    expect(good.describe().ready).to.equal(true);
    await good.embedImages([image(0.5)]);
    expect(f.requests.every((r) => r.headers.authorization === "Bearer s3cret")).to.equal(true);
    const bad = await backend([f.url]);
    expect(bad.describe().endpoints![0]!.state).to.equal("unready");
  });

  it("stops at once when the caller aborts", async () => {
    const f = await fake({ latencyMs: 500 });
    const b = await backend([f.url]);
    const ac = new AbortController();
    const p = b.embedImages([image(0.5)], ac.signal);
    setTimeout(() => ac.abort(), 50);
    const started = Date.now();
    try {
      await p;
      expect.fail("not aborted");
    } catch {
      expect(Date.now() - started).to.be.below(400);
    }
    expect(b.describe().endpoints![0]!.state).to.equal("ready");
  });
});
