import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import {
  DynamicBatcher,
  type BatchObservation,
  type OipTensor,
} from "../../src/inference/index.js";

const nums = (d: ArrayLike<number | bigint>): number[] => Array.from(d, Number);

function tensor(name: string, rows: number, width: number, start: number): OipTensor {
  const data = new Float32Array(rows * width);
  for (let i = 0; i < data.length; i++) data[i] = start + i;
  return { name, datatype: "FP32", shape: [rows, width], data };
}

/** A model that doubles its input "x" into output "y" and records the batch sizes it ran. */
function doubling(runs: number[], delayMs = 0) {
  return async (inputs: ReadonlyMap<string, OipTensor>, batch: number) => {
    runs.push(batch);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const x = inputs.get("x")!;
    const y = new Float32Array(x.data.length);
    for (let i = 0; i < y.length; i++) y[i] = 2 * (x.data[i] as number);
    return new Map([["y", { name: "y", datatype: "FP32" as const, shape: [...x.shape], data: y }]]);
  };
}

describe("inference/worker dynamic batcher", () => {
  it("merges concurrent requests into one run and gives each its own rows back", async () => {
    const runs: number[] = [];
    const seen: BatchObservation[] = [];
    const b = new DynamicBatcher({
      maxBatch: 8,
      maxQueueDelayMs: 20,
      maxQueueSize: 100,
      execute: doubling(runs),
      observe: (o) => seen.push(o),
    });
    const out = await Promise.all([
      b.submit(new Map([["x", tensor("x", 1, 3, 0)]]), 1),
      b.submit(new Map([["x", tensor("x", 2, 3, 100)]]), 2),
      b.submit(new Map([["x", tensor("x", 1, 3, 200)]]), 1),
    ]);
    expect(runs).to.deep.equal([4]);
    expect(nums(out[0].get("y")!.data)).to.deep.equal([0, 2, 4]);
    expect(out[1].get("y")!.shape).to.deep.equal([2, 3]);
    expect(nums(out[1].get("y")!.data)).to.deep.equal([200, 202, 204, 206, 208, 210]);
    expect(nums(out[2].get("y")!.data)).to.deep.equal([400, 402, 404]);
    expect(seen).to.have.length(1);
    expect(seen[0]!.batchSize).to.equal(4);
    expect(seen[0]!.requests).to.equal(3);
    expect(seen[0]!.queueMs).to.have.length(3);
  });

  it("runs a full batch at once without waiting for the queue delay", async () => {
    const runs: number[] = [];
    const b = new DynamicBatcher({
      maxBatch: 2,
      maxQueueDelayMs: 5_000,
      maxQueueSize: 10,
      execute: doubling(runs),
    });
    const started = performance.now();
    await Promise.all([1, 2].map((i) => b.submit(new Map([["x", tensor("x", 1, 2, i)]]), 1)));
    expect(performance.now() - started).to.be.below(1_000);
    expect(runs).to.deep.equal([2]);
  });

  it("never exceeds maxBatch, and gathers the next batch while one runs", async () => {
    const runs: number[] = [];
    const b = new DynamicBatcher({
      maxBatch: 3,
      maxQueueDelayMs: 0,
      maxQueueSize: 100,
      execute: doubling(runs, 20),
    });
    await Promise.all(
      Array.from({ length: 7 }, (_, i) => b.submit(new Map([["x", tensor("x", 1, 2, i)]]), 1)),
    );
    expect(runs.every((n) => n <= 3)).to.equal(true);
    expect(runs.reduce((a, n) => a + n, 0)).to.equal(7);
    // The first runs alone (delay 0); the rest queue behind it and go in batches.
    expect(runs[0]).to.equal(1);
    expect(runs.length).to.be.at.most(4);
  });

  it("keeps requests with different non-batch shapes in different runs", async () => {
    const runs: number[] = [];
    const b = new DynamicBatcher({
      maxBatch: 8,
      maxQueueDelayMs: 10,
      maxQueueSize: 10,
      execute: doubling(runs),
    });
    const [a, c] = await Promise.all([
      b.submit(new Map([["x", tensor("x", 1, 2, 0)]]), 1),
      b.submit(new Map([["x", tensor("x", 1, 3, 0)]]), 1),
    ]);
    expect(runs.sort()).to.deep.equal([1, 1]);
    expect(a.get("y")!.shape).to.deep.equal([1, 2]);
    expect(c.get("y")!.shape).to.deep.equal([1, 3]);
  });

  it("fails every request of a failed run, and keeps serving", async () => {
    let fail = true;
    const b = new DynamicBatcher({
      maxBatch: 4,
      maxQueueDelayMs: 10,
      maxQueueSize: 10,
      execute: async (inputs, batch) => {
        if (fail) throw new RadzError("INFERENCE_FAILED", "boom");
        return doubling([])(inputs, batch);
      },
    });
    const results = await Promise.allSettled([
      b.submit(new Map([["x", tensor("x", 1, 1, 0)]]), 1),
      b.submit(new Map([["x", tensor("x", 1, 1, 0)]]), 1),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
    fail = false;
    const ok = await b.submit(new Map([["x", tensor("x", 1, 1, 5)]]), 1);
    expect(nums(ok.get("y")!.data)).to.deep.equal([10]);
  });

  it("refuses requests beyond the queue size (INFERENCE_QUEUE_FULL) and oversized batches", async () => {
    const b = new DynamicBatcher({
      maxBatch: 2,
      maxQueueDelayMs: 0,
      maxQueueSize: 1,
      execute: doubling([], 30),
    });
    const first = b.submit(new Map([["x", tensor("x", 1, 1, 0)]]), 1); // running
    const second = b.submit(new Map([["x", tensor("x", 1, 1, 0)]]), 1); // queued
    const third = b.submit(new Map([["x", tensor("x", 1, 1, 0)]]), 1); // refused
    const r = await Promise.allSettled([first, second, third]);
    expect(r.map((x) => x.status)).to.deep.equal(["fulfilled", "fulfilled", "rejected"]);
    expect(((r[2] as PromiseRejectedResult).reason as RadzError).code).to.equal(
      "INFERENCE_QUEUE_FULL",
    );
    try {
      await b.submit(new Map([["x", tensor("x", 3, 1, 0)]]), 3);
      expect.fail("oversized batch accepted");
    } catch (err) {
      expect((err as RadzError).code).to.equal("INPUT_INVALID");
    }
    await b.drain();
    expect(b.depth).to.equal(0);
  });
});
