/**
 * Micro-batching across concurrent studies: the MicroBatcher's scheduling
 * (full batches at once, partial ones after maxWaitMs, one run at a time,
 * splitting, errors), and createBatchedModel in front of the demo model and
 * in the pipeline: concurrent studies' images share one session run, and
 * scores are identical (<= 1e-5) to unbatched runs of any batch size.
 */
import { rmSync } from "node:fs";
import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import { createBatchedModel, MicroBatcher } from "../../src/inference/batcher.js";
import { parseInstance } from "../../src/imaging/index.js";
import {
  loadModel,
  writeDemoBundle,
  type LabelScore,
  type ZeroShotModel,
} from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/logger.js";
import { analyzeImages, type StudyAnalysis } from "../../src/pipeline/analyze.js";
import { Stopwatch } from "../../src/pipeline/stopwatch.js";
import { generateSyntheticStudies } from "../../src/synthetic/index.js";
import { tempDir } from "../model/bundle-fixtures.js";
import { tensorFromPart10 } from "../model/helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A run function that records batches and can be held open. */
function recorder(delayMs = 0) {
  const batches: number[][] = [];
  let running = 0;
  let maxRunning = 0;
  const run = async (items: number[]): Promise<string[]> => {
    batches.push([...items]);
    running++;
    maxRunning = Math.max(maxRunning, running);
    await sleep(delayMs);
    running--;
    return items.map((i) => `out${i}`);
  };
  return { run, batches, maxRunning: () => maxRunning };
}

describe("inference/batcher: MicroBatcher", () => {
  it("gathers concurrent submissions within maxWaitMs into one run and returns each its outputs", async () => {
    const r = recorder();
    const b = new MicroBatcher<number, string>({ maxBatch: 8, maxWaitMs: 30, run: r.run });
    const [x, y, z] = await Promise.all([b.submit([1, 2]), b.submit([3]), b.submit([4, 5, 6])]);
    expect(r.batches).to.deep.equal([[1, 2, 3, 4, 5, 6]]);
    expect(x).to.deep.equal(["out1", "out2"]);
    expect(y).to.deep.equal(["out3"]);
    expect(z).to.deep.equal(["out4", "out5", "out6"]);
    expect(b.stats).to.deep.equal({ batches: 1, items: 6, largestBatch: 6, sizes: { 6: 1 } });
  });

  it("runs a full batch at once without waiting, and a partial one after maxWaitMs", async () => {
    const r = recorder();
    const b = new MicroBatcher<number, string>({ maxBatch: 3, maxWaitMs: 10_000, run: r.run });
    const started = performance.now();
    await b.submit([1, 2, 3]);
    expect(performance.now() - started).to.be.below(1000);
    const quick = new MicroBatcher<number, string>({ maxBatch: 8, maxWaitMs: 40, run: r.run });
    const t0 = performance.now();
    await quick.submit([9]);
    expect(performance.now() - t0).to.be.at.least(35);
  });

  it("splits more than maxBatch items over runs, one run in flight at a time, in order", async () => {
    const r = recorder(15);
    const b = new MicroBatcher<number, string>({ maxBatch: 4, maxWaitMs: 5, run: r.run });
    const first = b.submit([1, 2, 3, 4, 5, 6]);
    await sleep(2);
    const second = b.submit([7, 8, 9]);
    expect(await first).to.deep.equal(["out1", "out2", "out3", "out4", "out5", "out6"]);
    expect(await second).to.deep.equal(["out7", "out8", "out9"]);
    expect(r.maxRunning()).to.equal(1);
    expect(r.batches.flat()).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.max(...r.batches.map((x) => x.length))).to.equal(4);
    // While the first run was in flight the rest gathered: 3 runs, not 9.
    expect(r.batches).to.have.length(3);
  });

  it("fails every item of a failed run, and later runs go on", async () => {
    let fail = true;
    const b = new MicroBatcher<number, number>({
      maxBatch: 8,
      maxWaitMs: 5,
      run: async (items) => {
        if (fail) throw new RadzError("INFERENCE_FAILED", "boom");
        return items.map((i) => i * 2);
      },
    });
    const results = await Promise.allSettled([b.submit([1]), b.submit([2])]);
    expect(results.map((x) => x.status)).to.deep.equal(["rejected", "rejected"]);
    fail = false;
    expect(await b.submit([3])).to.deep.equal([6]);
  });

  it("rejects a run that returns the wrong number of outputs", async () => {
    const b = new MicroBatcher<number, number>({ maxBatch: 8, maxWaitMs: 0, run: async () => [1] });
    try {
      await b.submit([1, 2]);
      expect.fail("expected a rejection");
    } catch (err) {
      expect((err as RadzError).code).to.equal("INFERENCE_BAD_OUTPUT");
    }
  });

  it("close() runs what is queued at once, waits for it, then refuses new items", async () => {
    const r = recorder(10);
    const b = new MicroBatcher<number, string>({ maxBatch: 8, maxWaitMs: 60_000, run: r.run });
    const pending = b.submit([1, 2]);
    await b.close();
    expect(await pending).to.deep.equal(["out1", "out2"]);
    try {
      await b.submit([3]);
      expect.fail("expected a rejection");
    } catch (err) {
      expect((err as RadzError).code).to.equal("INFERENCE_FAILED");
    }
    expect(() => new MicroBatcher({ maxBatch: 0, maxWaitMs: 1, run: r.run })).to.throw(RangeError);
  });
});

describe("inference/batcher: the demo model behind the batcher", () => {
  let dir: string;
  let model: ZeroShotModel;
  let studies: ReturnType<typeof generateSyntheticStudies>;
  let inputs: Float32Array[];
  before(async () => {
    dir = tempDir("radz-batcher-");
    await writeDemoBundle(dir);
    model = await loadModel(dir, {
      executionProviders: ["cpu"],
      requireGpu: false,
      logger: silentLogger(),
    });
    studies = generateSyntheticStudies({
      count: 6,
      seed: 404,
      rows: 192,
      columns: 192,
      findingRate: 0.5,
    });
    inputs = studies.map((s) => tensorFromPart10(s.instances[0]!, model.preprocess));
  });
  after(async () => {
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The model's members as a plain object (class methods do not survive a spread), with overrides. */
  function wrap(m: ZeroShotModel, overrides: Partial<ZeroShotModel> = {}): ZeroShotModel {
    return {
      identity: m.identity,
      manifest: m.manifest,
      preprocess: m.preprocess,
      labels: m.labels,
      inputShape: m.inputShape,
      embeddingSize: m.embeddingSize,
      patchGrid: m.patchGrid,
      embedImages: (x) => m.embedImages(x),
      encodeImages: (x) => m.encodeImages(x),
      scoreEmbeddings: (e) => m.scoreEmbeddings(e),
      patchLogits: (p, ids) => m.patchLogits(p, ids),
      scoreImages: (x) => m.scoreImages(x),
      close: async () => undefined,
      ...overrides,
    };
  }

  /** Counts the underlying session runs. */
  function counted(m: ZeroShotModel): { model: ZeroShotModel; runs: number[] } {
    const runs: number[] = [];
    return {
      runs,
      model: wrap(m, {
        encodeImages: async (x) => {
          runs.push(x.length);
          return m.encodeImages(x);
        },
      }),
    };
  }

  it("gives the same scores (<= 1e-5) alone, in batches of every size, and through the batcher", async () => {
    const alone: LabelScore[][] = [];
    for (const x of inputs) alone.push((await model.scoreImages([x]))[0]!);
    for (const maxBatch of [1, 2, 3, 4, 6]) {
      const c = counted(model);
      const batched = createBatchedModel(c.model, { maxBatch, maxWaitMs: 20 });
      const out = await Promise.all(inputs.map((x) => batched.scoreImages([x])));
      await batched.close();
      expect(Math.max(...c.runs)).to.be.at.most(maxBatch);
      out.forEach(([row], i) =>
        row!.forEach((s, k) => {
          expect(s.labelId).to.equal(alone[i]![k]!.labelId);
          expect(s.logit, `batch ${maxBatch} study ${i}`).to.be.closeTo(alone[i]![k]!.logit, 1e-5);
          expect(s.probability).to.be.closeTo(alone[i]![k]!.probability, 1e-5);
        }),
      );
    }
  });

  it("runs the images of concurrent studies in the pipeline (analyzeImages) in one session run", async () => {
    const multi = generateSyntheticStudies({
      count: 3,
      seed: 505,
      rows: 160,
      columns: 160,
      imagesPerStudy: 2,
    });
    const parsed = multi.map((s) => s.instances.map((bytes) => parseInstance(bytes)));
    const config = {
      imaging: { windowIndex: 0, maxPixels: 100_000_000 },
      model: { aggregation: "max" as const },
    };
    const sequential: StudyAnalysis[] = [];
    for (const instances of parsed)
      sequential.push(await analyzeImages(instances, model, config as never, new Stopwatch()));

    const c = counted(model);
    // A full batch (6) runs at once; the long wait only guards against a slow machine splitting it.
    const batched = createBatchedModel(c.model, { maxBatch: 6, maxWaitMs: 10_000 });
    const concurrent = await Promise.all(
      parsed.map((instances) =>
        analyzeImages(instances, batched, config as never, new Stopwatch()),
      ),
    );
    await batched.close();
    expect(c.runs).to.deep.equal([6]); // 3 studies x 2 images, one run
    expect(batched.batcher.stats.batches).to.equal(1);
    concurrent.forEach((a, i) => {
      expect(a.studyInstanceUid).to.equal(sequential[i]!.studyInstanceUid);
      a.findings.forEach((f, k) => {
        expect(f.labelId).to.equal(sequential[i]!.findings[k]!.labelId);
        expect(f.probability).to.be.closeTo(sequential[i]!.findings[k]!.probability, 1e-5);
      });
    });
  });

  it("one bad image fails only its own study; a wrong-size input is refused before it is queued", async () => {
    const poisoned = new Float32Array(inputs[0]!.length).fill(Number.NaN);
    const c = counted(model);
    // A model whose output for a NaN input is NaN, like a real encoder.
    const nanAware = wrap(c.model, {
      encodeImages: async (x) => {
        if (x.some((t) => Number.isNaN(t[0]!)))
          throw new RadzError("INFERENCE_BAD_OUTPUT", "image encoder output contains NaN or Inf");
        return c.model.encodeImages(x);
      },
    });
    const batched = createBatchedModel(nanAware, { maxBatch: 8, maxWaitMs: 30 });
    const results = await Promise.allSettled([
      batched.scoreImages([inputs[0]!]),
      batched.scoreImages([poisoned]),
      batched.scoreImages([inputs[1]!, inputs[2]!]),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
    expect(((results[1] as PromiseRejectedResult).reason as RadzError).code).to.equal(
      "INFERENCE_BAD_OUTPUT",
    );
    try {
      await batched.scoreImages([new Float32Array(7)]);
      expect.fail("expected INPUT_INVALID");
    } catch (err) {
      expect((err as RadzError).code).to.equal("INPUT_INVALID");
    }
    expect(batched.batcher.pending).to.equal(0);
    await batched.close();
  });

  it("runs every encoder run, the one-by-one retries of a failed batch too, inside the turn it was given", async () => {
    const c = counted(model);
    const poisoned = new Float32Array(inputs[0]!.length).fill(Number.NaN);
    const nanAware = wrap(c.model, {
      encodeImages: async (x) => {
        expect(inTurn, "encoder run outside its turn").to.equal(true);
        if (x.some((t) => Number.isNaN(t[0]!)))
          throw new RadzError("INFERENCE_BAD_OUTPUT", "image encoder output contains NaN or Inf");
        return c.model.encodeImages(x);
      },
    });
    let inTurn = false;
    const turns: number[] = [];
    const batched = createBatchedModel(nanAware, {
      maxBatch: 8,
      maxWaitMs: 30,
      turn: async (run) => {
        inTurn = true;
        try {
          const out = await run();
          turns.push(1);
          return out;
        } catch (err) {
          turns.push(0);
          throw err;
        } finally {
          inTurn = false;
        }
      },
    });
    const results = await Promise.allSettled([
      batched.scoreImages([inputs[0]!, inputs[1]!]),
      batched.scoreImages([poisoned]),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(["fulfilled", "rejected"]);
    // The batch of three (failed: it holds the NaN image), then each image alone, in turns too.
    expect(turns).to.deep.equal([0, 1, 1, 0]);
    expect(c.runs).to.deep.equal([1, 1]);
    await batched.close();
  });

  it("keeps the model's identity and closes the model after draining", async () => {
    let closed = false;
    const batched = createBatchedModel(wrap(model, { close: async () => void (closed = true) }), {
      maxBatch: 4,
      maxWaitMs: 60_000,
    });
    expect(batched.identity).to.deep.equal(model.identity);
    const pending = batched.scoreImages([inputs[0]!]);
    await batched.close();
    expect((await pending)[0]).to.have.length(model.labels.length);
    expect(closed).to.equal(true);
  });
});
