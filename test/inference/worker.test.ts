/**
 * radz worker beyond the protocol suite: authentication, errors, dynamic
 * batching across concurrent requests, metrics, draining on stop, and
 * --require-gpu failing fast on a machine without CUDA.
 */
import { spawnSync } from "node:child_process";
import net from "node:net";
import { createRequire } from "node:module";
import { expect } from "chai";
import type { RadzError } from "../../src/errors.js";
import type { RunningWorker } from "../../src/inference/index.js";
import { waitFor } from "../helpers/wait.js";
import { TEST_TOKEN, startTestWorker, tempDemoBundle, type TempBundle } from "./helpers.js";
import { binaryBody, leBytes } from "./oip-conformance.js";

interface PromSample {
  name: string;
  type: string;
  metrics: {
    labels?: Record<string, string>;
    value?: string;
    count?: string;
    buckets?: Record<string, string>;
  }[];
}
const parsePrometheus = createRequire(import.meta.url)("parse-prometheus-text-format") as (
  text: string,
) => PromSample[];

const IMAGE = "radz-demo-synthetic-image";
const PIXELS = 224 * 224;

function binaryImageRequest(batch: number, value = 0.5) {
  const data = leBytes("FP32", new Array<number>(batch * PIXELS).fill(value));
  return binaryBody(
    {
      inputs: [
        {
          name: "image",
          datatype: "FP32",
          shape: [batch, 1, 224, 224],
          parameters: { binary_data_size: data.length },
        },
      ],
      parameters: { binary_data_output: true },
    },
    [data],
  );
}

describe("inference/radz worker", function () {
  this.timeout(60_000);
  let bundle: TempBundle;
  let worker: RunningWorker;
  const auth = { Authorization: `Bearer ${TEST_TOKEN}` };

  before(async () => {
    bundle = await tempDemoBundle();
    worker = await startTestWorker(bundle, { maxBatch: 8, maxQueueDelayMs: 200 });
  });
  after(async () => {
    await worker?.stop();
    bundle?.cleanup();
  });

  const infer = (batch: number, headers: Record<string, string> = auth) => {
    const { body, headerLength } = binaryImageRequest(batch);
    return fetch(`${worker.url}/v2/models/${IMAGE}/infer`, {
      method: "POST",
      headers: {
        ...headers,
        "Content-Type": "application/octet-stream",
        "Inference-Header-Content-Length": String(headerLength),
      },
      body,
    });
  };

  it("refuses requests without a valid bearer token (401 { error }), except health", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: "Bearer wrong" },
      { Authorization: `Basic ${TEST_TOKEN}` },
    ];
    for (const headers of attempts) {
      const r = await fetch(`${worker.url}/v2/models/${IMAGE}`, { headers });
      expect(r.status).to.equal(401);
      expect(r.headers.get("www-authenticate")).to.match(/^Bearer/);
      expect(((await r.json()) as { error: string }).error).to.be.a("string");
      expect((await infer(1, headers)).status).to.equal(401);
      expect((await fetch(`${worker.url}/metrics`, { headers })).status).to.equal(401);
    }
    expect((await fetch(`${worker.url}/v2/health/live`)).status).to.equal(200);
    expect((await fetch(`${worker.url}/v2/health/ready`)).status).to.equal(200);
  });

  it("answers 404 { error } for unknown models, versions and paths", async () => {
    for (const path of [
      "/v2/models/nope",
      `/v2/models/${IMAGE}/versions/2`,
      `/v2/models/${IMAGE}/versions/2/ready`,
      "/v2/repository/index",
      "/v1/models/x",
    ]) {
      const r = await fetch(`${worker.url}${path}`, { headers: auth });
      expect(r.status, path).to.equal(404);
      expect(((await r.json()) as { error: string }).error).to.be.a("string");
    }
  });

  it("refuses a body above maxRequestBytes with 413 { error }", async () => {
    const small = await startTestWorker(bundle, { maxRequestBytes: 1024, serveTextEncoder: false });
    try {
      const { body, headerLength } = binaryImageRequest(1);
      const r = await fetch(`${small.url}/v2/models/${IMAGE}/infer`, {
        method: "POST",
        headers: { ...auth, "Inference-Header-Content-Length": String(headerLength) },
        body,
      });
      expect(r.status).to.equal(413);
      expect(((await r.json()) as { error: string }).error).to.match(/limit/);
    } finally {
      await small.stop();
    }
  });

  it("closes a connection that never sends a byte after worker.idleTimeoutMs; caps connections", async () => {
    const limited = await startTestWorker(bundle, {
      serveTextEncoder: false,
      limits: {
        maxConnections: 16,
        idleTimeoutMs: 500,
        headersTimeoutMs: 500,
        requestTimeoutMs: 1_000,
        keepAliveTimeoutMs: 500,
      },
    });
    const { port } = new URL(limited.url);
    const sockets = Array.from({ length: 24 }, () => {
      const s = net.connect(Number(port), "127.0.0.1");
      const state = { closedAt: 0 };
      s.on("error", () => undefined);
      s.on("close", () => (state.closedAt = Date.now()));
      return state;
    });
    const opened = Date.now();
    try {
      const live = await fetch(`${limited.url}/v2/health/live`);
      expect(live.status).to.equal(200); // past the cap of 16: an idle one made room
      await waitFor(() => sockets.every((s) => s.closedAt > 0), 3_000, "the idle sockets to close");
      expect(sockets.every((s) => s.closedAt > 0 && s.closedAt - opened < 1_500)).to.equal(true);
    } finally {
      await limited.stop();
    }
  });

  it("batches concurrent requests into shared runs and reports it in /metrics", async () => {
    const replies = await Promise.all([1, 2, 1, 3, 1].map((n) => infer(n)));
    expect(replies.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
    const text = await (await fetch(`${worker.url}/metrics`, { headers: auth })).text();
    const families = parsePrometheus(text);
    const family = (name: string) => families.find((f) => f.name === name);
    // parse-prometheus-text-format drops labelled histogram counts; read those lines from the text.
    const count = (name: string) =>
      Number(new RegExp(`^${name}_count\\{model="${IMAGE}"\\} (\\d+)$`, "m").exec(text)?.[1]);
    // 5 requests, 8 rows, maxBatch 8, 200 ms queue delay: far fewer runs than requests.
    expect(count("radz_worker_batch_size")).to.be.within(1, 2);
    expect(count("radz_worker_batch_requests")).to.be.within(1, 2);
    expect(count("radz_worker_queue_seconds")).to.equal(5);
    expect(count("radz_worker_compute_seconds")).to.equal(count("radz_worker_batch_size"));
    expect(family("radz_worker_queue_seconds")!.type).to.equal("HISTOGRAM");
    const ep = family("radz_worker_execution_provider")!.metrics.find(
      (m) => m.labels?.model === IMAGE,
    )!;
    expect(ep.labels!.execution_provider).to.equal("cpu");
    const byEncoding = family("radz_worker_requests_total")!.metrics.filter(
      (m) =>
        m.labels?.model === IMAGE && m.labels.encoding === "binary" && m.labels.outcome === "ok",
    );
    expect(Number(byEncoding[0]!.value)).to.be.at.least(5);
  });

  it("finishes in-flight requests when stopped, then refuses new connections", async () => {
    // Requests sit in the batcher's queue (1 s delay) when stop() begins.
    const w = await startTestWorker(bundle, { maxQueueDelayMs: 1_000, serveTextEncoder: false });
    const { body, headerLength } = binaryImageRequest(2);
    const pending = [1, 2, 3].map(() =>
      fetch(`${w.url}/v2/models/${IMAGE}/infer`, {
        method: "POST",
        headers: { ...auth, "Inference-Header-Content-Length": String(headerLength) },
        body,
      }),
    );
    // All three are queued (the worker's own gauge) before stop() begins.
    const depth = async () =>
      Number(
        /^radz_worker_queue_depth\{model="radz-demo-synthetic-image"\} (\d+)$/m.exec(
          await (await fetch(`${w.url}/metrics`, { headers: auth })).text(),
        )?.[1] ?? 0,
      );
    await waitFor(async () => (await depth()) === 3, 5_000, "three queued requests", 20);
    await w.stop();
    expect((await Promise.all(pending)).map((r) => r.status)).to.deep.equal([200, 200, 200]);
    try {
      await fetch(`${w.url}/v2/health/live`);
      expect.fail("a stopped worker answered");
    } catch (err) {
      expect(String((err as Error).cause ?? err)).to.match(
        /ECONNREFUSED|fetch failed|other side closed/,
      );
    }
  });

  it("will not start without tokens unless allowUnauthenticated", async () => {
    try {
      await startTestWorker(bundle, { tokens: [] });
      expect.fail("started without tokens");
    } catch (err) {
      expect((err as RadzError).code).to.equal("CONFIG_INVALID");
    }
    const open = await startTestWorker(bundle, {
      tokens: [],
      allowUnauthenticated: true,
      serveTextEncoder: false,
    });
    try {
      expect((await fetch(`${open.url}/v2/models/${IMAGE}`)).status).to.equal(200);
    } finally {
      await open.stop();
    }
  });

  it("--require-gpu fails fast with GPU_UNAVAILABLE where CUDA cannot load", async () => {
    // Through the CLI, so onnxruntime's own CUDA load error goes to the child's stderr.
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "worker",
        "--bundle",
        bundle.bundleDir,
        "--port",
        "0",
        "--require-gpu",
      ],
      {
        encoding: "utf8",
        timeout: 30_000,
        env: {
          ...process.env,
          RADZ_WORKER__ALLOW_UNAUTHENTICATED: "true",
          RADZ_LOG__LEVEL: "silent",
        },
      },
    );
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/GPU_UNAVAILABLE/);
  });
});
