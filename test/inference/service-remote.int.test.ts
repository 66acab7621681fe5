/**
 * The service end to end with inference.backend "remote": a real Orthanc,
 * two `radz worker` processes, one killed (SIGKILL) while studies are being
 * processed. Every study must end `done` with the findings the local
 * backend gives for the same images (within 1e-5), and its SR must say the
 * encoder ran remotely.
 */
import { join } from "node:path";
import { expect } from "chai";
import type { ConfigInput } from "../../src/config/index.js";
import { parseInstance } from "../../src/imaging/index.js";
import { isTerminal } from "../../src/jobs/index.js";
import { loadModel } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { analyzeImages } from "../../src/pipeline/analyze.js";
import { Stopwatch } from "../../src/pipeline/stopwatch.js";
import { generateSyntheticStudies } from "../../src/synthetic/index.js";
import { useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import { TEST_TOKEN, startChildWorker, type ChildWorker, type TempBundle } from "./helpers.js";

describe("service with remote inference (real Orthanc, two worker processes, one killed)", function () {
  this.timeout(180_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  const radz = useService({ prefix: "radz-remote-e2e-", orthancUrl: () => orthanc.url });
  let bundle: TempBundle;
  let workers: ChildWorker[] = [];

  before(async function () {
    this.timeout(120_000);
    bundle = {
      root: radz.dir,
      bundleDir: radz.bundle,
      cacheDir: join(radz.dir, "embeddings"),
      cleanup: () => undefined, // the harness removes its work dir
    };
    workers = await Promise.all([startChildWorker(bundle), startChildWorker(bundle)]);
  });
  after(() => {
    for (const w of workers) w.child.kill("SIGKILL");
  });

  it("processes every study with local-identical findings while a worker dies", async () => {
    const overrides: ConfigInput = {
      jobs: { concurrency: 3 },
      model: { embeddingCacheDir: bundle.cacheDir },
      inference: {
        backend: "remote",
        endpoints: workers.map((w) => ({ url: w.url })),
        token: TEST_TOKEN,
        probeIntervalMs: 200,
      },
    };
    const config = radz.config(overrides);
    const studies = generateSyntheticStudies({
      count: 6,
      seed: 4242,
      rows: 256,
      columns: 256,
      imagesPerStudy: 2,
    });
    const svc = await radz.create(overrides);
    expect(svc.model.identity.executionProvider).to.equal("remote");
    await svc.start();
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
    const ids = new Map<string, string>();
    for (const s of studies)
      for (const bytes of s.instances)
        ids.set(s.studyInstanceUid, (await client.uploadInstance(bytes)).parentStudy);
    const job = (uid: string) => svc.store.getByStudy(ids.get(uid)!);
    // Kill worker A as soon as the first study is done (the others are queued or running).
    await waitFor(
      () => studies.some((s) => job(s.studyInstanceUid)?.state === "done"),
      90_000,
      "a first study",
    );
    workers[0]!.child.kill("SIGKILL");
    await waitFor(
      () => studies.every((s) => isTerminal(job(s.studyInstanceUid)?.state ?? "queued")),
      120_000,
      "every study to finish",
    );

    const local = await loadModel(bundle.bundleDir, {
      executionProviders: ["cpu"],
      requireGpu: false,
      logger: silentLogger(),
      embeddingCacheDir: bundle.cacheDir,
    });
    try {
      for (const s of studies) {
        const j = job(s.studyInstanceUid)!;
        expect(j.state, JSON.stringify(j.lastError)).to.equal("done");
        const instances = s.instances.map((b) => parseInstance(b, { maxBytes: 1 << 26 }));
        const expected = (await analyzeImages(instances, local, config, new Stopwatch())).findings;
        const got = j.result!.findings;
        expect(got.map((f) => f.labelId)).to.deep.equal(expected.map((f) => f.labelId));
        got.forEach((f, i) => {
          expect(Math.abs(f.probability - expected[i]!.probability)).to.be.at.most(1e-5);
          expect(f.positive).to.equal(expected[i]!.positive);
        });
      }
    } finally {
      await local.close();
    }
    expect(svc.store.list()).to.have.length(studies.length);
  });
});
