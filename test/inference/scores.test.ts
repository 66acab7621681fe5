/**
 * Scores do not depend on where the image encoder runs: synthetic studies go
 * through the pipeline's analyzeImages with the local backend, with radz
 * worker over JSON and over binary tensors, and with two worker processes
 * one of which is killed (SIGKILL) while it holds a request. Every study's
 * findings must match the local ones within 1e-5, and no study may be lost.
 */
import { expect } from "chai";
import { loadConfig } from "../../src/config/index.js";
import { parseInstance, type DicomInstance } from "../../src/imaging/index.js";
import {
  RemoteBackend,
  bindBackend,
  imageModelName,
  type RunningWorker,
} from "../../src/inference/index.js";
import { loadModel, type LabelScore, type ZeroShotModel } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { analyzeImages } from "../../src/pipeline/analyze.js";
import { Stopwatch } from "../../src/pipeline/stopwatch.js";
import { generateSyntheticStudies } from "../../src/synthetic/index.js";
import {
  TEST_TOKEN,
  startChildWorker,
  startTestWorker,
  tempDemoBundle,
  type ChildWorker,
  type TempBundle,
} from "./helpers.js";

const TOLERANCE = 1e-5;

function expectSameFindings(
  actual: readonly LabelScore[],
  reference: readonly LabelScore[],
  what: string,
) {
  expect(
    actual.map((f) => f.labelId),
    what,
  ).to.deep.equal(reference.map((f) => f.labelId));
  actual.forEach((f, i) => {
    const r = reference[i]!;
    expect(Math.abs(f.logit - r.logit), `${what} ${f.labelId} logit`).to.be.at.most(TOLERANCE);
    expect(
      Math.abs(f.probability - r.probability),
      `${what} ${f.labelId} probability`,
    ).to.be.at.most(TOLERANCE);
    expect(f.positive, `${what} ${f.labelId} positive`).to.equal(r.positive);
  });
}

describe("inference/scores are the same whichever backend embeds", function () {
  this.timeout(120_000);
  const config = loadConfig({ env: {} });
  let bundle: TempBundle;
  let model: ZeroShotModel;
  let studies: DicomInstance[][];
  let reference: LabelScore[][];
  const backends: RemoteBackend[] = [];

  const remote = async (urls: readonly string[], binary: boolean) => {
    const b = new RemoteBackend({
      endpoints: urls.map((url) => ({ url, token: TEST_TOKEN })),
      modelName: imageModelName(model.identity.id),
      inputName: model.manifest.imageEncoder.inputName,
      outputName: model.manifest.imageEncoder.outputName,
      // The demo bundle's spatial output travels too (schemaVersion 2).
      spatial: {
        outputName: model.manifest.imageEncoder.spatialOutputName!,
        grid: model.patchGrid!,
      },
      inputShape: model.inputShape,
      embeddingSize: model.embeddingSize,
      timeoutMs: 15_000,
      maxAttempts: 3,
      probeIntervalMs: 200,
      maxBatch: 8,
      binary,
      logger: silentLogger(),
    });
    backends.push(b);
    await b.start();
    return b;
  };

  const analyzeAll = async (
    m: ZeroShotModel,
    concurrency = 4,
    backend?: Pick<RemoteBackend, "encodeImages">,
  ) => {
    const out: LabelScore[][] = new Array<LabelScore[]>(studies.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < studies.length) {
          const i = next++;
          out[i] = (await analyzeImages(studies[i]!, m, config, new Stopwatch(), backend)).findings;
        }
      }),
    );
    return out;
  };

  before(async () => {
    bundle = await tempDemoBundle();
    model = await loadModel(bundle.bundleDir, {
      executionProviders: ["cpu"],
      requireGpu: false,
      logger: silentLogger(),
      embeddingCacheDir: bundle.cacheDir,
    });
    studies = generateSyntheticStudies({
      count: 8,
      seed: 909,
      rows: 256,
      columns: 256,
      imagesPerStudy: 2,
    }).map((s) => s.instances.map((bytes) => parseInstance(bytes, { maxBytes: 64 * 1024 * 1024 })));
    reference = await analyzeAll(model, 1);
    expect(reference.some((f) => f.some((x) => x.positive))).to.equal(true);
  });

  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await model?.close();
    bundle?.cleanup();
  });

  describe("through an in-process radz worker", () => {
    let worker: RunningWorker;
    before(async () => {
      worker = await startTestWorker(bundle);
    });
    after(() => worker?.stop());

    it("binary tensors: identical embeddings and findings", async () => {
      const b = await remote([worker.url], true);
      expect(b.describe().endpoints![0]!.binary).to.equal(true);
      const found = await analyzeAll(bindBackend(model, b));
      found.forEach((f, i) => expectSameFindings(f, reference[i]!, `study ${i} (binary)`));
      // Regions come from the patch grid the worker returned: the same as in process.
      const positives = found.flat().filter((f) => f.positive);
      expect(positives.length).to.be.greaterThan(0);
      expect(positives.every((f) => (f.regions?.length ?? 0) > 0)).to.equal(true);
      found.forEach((f, i) =>
        f.forEach((x, k) => expect(x.regions).to.deep.equal(reference[i]![k]!.regions)),
      );
    });

    it("JSON tensors: identical findings (backend passed to analyzeImages)", async () => {
      const b = await remote([worker.url], false);
      expect(b.describe().endpoints![0]!.binary).to.equal(false);
      const found = await analyzeAll(model, 4, b);
      found.forEach((f, i) => expectSameFindings(f, reference[i]!, `study ${i} (JSON)`));
    });

    it("raw embedding rows equal the local session's exactly (binary)", async () => {
      const b = await remote([worker.url], true);
      const x = new Float32Array(224 * 224).map((_, i) => (i % 97) / 97);
      const [local] = await model.embedImages([x]);
      const [viaWorker] = await b.embedImages([x]);
      expect(Array.from(viaWorker!)).to.deep.equal(Array.from(local!));
      // ...and the spatial output's patch grid (binary tensor, [1, h, w, D]).
      const [localEnc] = await model.encodeImages([x]);
      const [remoteEnc] = await b.encodeImages([x]);
      expect(remoteEnc!.patches).to.not.equal(undefined);
      expect(remoteEnc!.patches!.height).to.equal(model.patchGrid![0]);
      expect(Array.from(remoteEnc!.patches!.data)).to.deep.equal(
        Array.from(localEnc!.patches!.data),
      );
    });
  });

  describe("through two worker processes, one killed mid-run", () => {
    let a: ChildWorker | undefined;
    let c: ChildWorker | undefined;
    before(async () => {
      [a, c] = await Promise.all([startChildWorker(bundle), startChildWorker(bundle)]);
    });
    after(() => {
      a?.child.kill("SIGKILL");
      c?.child.kill("SIGKILL");
    });

    it("loses no study and changes no score", async () => {
      const b = await remote([a!.url, c!.url], true);
      expect(b.describe().endpoints!.map((e) => e.state)).to.deep.equal(["ready", "ready"]);
      // Kill worker A the moment it holds a request.
      let killedWhileBusy = false;
      const killer = new Promise<void>((resolve) => {
        const watch = () => {
          const outstanding = b.describe().endpoints![0]!.outstanding;
          if (outstanding > 0) {
            killedWhileBusy = true;
            a!.child.kill("SIGKILL");
            resolve();
          } else setImmediate(watch);
        };
        watch();
      });
      const found = await analyzeAll(bindBackend(model, b), 4);
      await killer;
      expect(killedWhileBusy).to.equal(true);
      expect(found.filter((f) => f !== undefined)).to.have.length(studies.length);
      found.forEach((f, i) => expectSameFindings(f, reference[i]!, `study ${i} (failover)`));
      expect(b.describe().endpoints![0]!.state).to.equal("down");
      expect(b.describe().endpoints![1]!.state).to.equal("ready");
    });
  });
});
