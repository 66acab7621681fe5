/**
 * The service end to end with inference.backend "remote": a real Orthanc,
 * two `radz worker` processes, one killed (SIGKILL) while studies are being
 * processed. Every study must end `done` with the findings the local
 * backend gives for the same images (within 1e-5), and its SR must say the
 * encoder ran remotely.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createService, type Service } from "../../src/app.js";
import { loadConfig } from "../../src/config/index.js";
import { parseInstance } from "../../src/imaging/index.js";
import { isTerminal } from "../../src/jobs/index.js";
import { loadModel, writeDemoBundle } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { analyzeImages } from "../../src/pipeline/analyze.js";
import { Stopwatch } from "../../src/pipeline/stopwatch.js";
import { generateSyntheticStudies } from "../../src/synthetic/index.js";
import { useOrthanc } from "../helpers/orthanc.js";
import { TEST_API_TOKENS } from "../security/fixtures.js";
import { TEST_TOKEN, startChildWorker, type ChildWorker, type TempBundle } from "./helpers.js";

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("service with remote inference (real Orthanc, two worker processes, one killed)", function () {
  this.timeout(180_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  let work: string;
  let bundle: TempBundle;
  let workers: ChildWorker[] = [];
  let service: Service | null = null;

  before(async function () {
    this.timeout(120_000);
    work = mkdtempSync(join(tmpdir(), "radz-remote-e2e-"));
    bundle = {
      root: work,
      bundleDir: join(work, "bundle"),
      cacheDir: join(work, "embeddings"),
      cleanup: () => rmSync(work, { recursive: true, force: true }),
    };
    await writeDemoBundle(bundle.bundleDir);
    workers = await Promise.all([startChildWorker(bundle), startChildWorker(bundle)]);
  });
  after(async () => {
    await service?.stop();
    for (const w of workers) w.child.kill("SIGKILL");
    bundle?.cleanup();
  });

  it("processes every study with local-identical findings while a worker dies", async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        orthanc: { url: orthanc.url },
        jobs: { dbPath: join(work, "radz.sqlite"), backoffBaseMs: 200, concurrency: 3 },
        intake: { startFrom: "beginning", pollCron: "* * * * * *" },
        model: { bundle: bundle.bundleDir, embeddingCacheDir: bundle.cacheDir },
        inference: {
          backend: "remote",
          endpoints: workers.map((w) => ({ url: w.url })),
          token: TEST_TOKEN,
          probeIntervalMs: 200,
        },
        http: { port: 0, tokens: TEST_API_TOKENS },
        log: { level: "silent" },
      },
    });
    const studies = generateSyntheticStudies({
      count: 6,
      seed: 4242,
      rows: 256,
      columns: 256,
      imagesPerStudy: 2,
    });
    service = await createService(config, silentLogger());
    expect(service.model.identity.executionProvider).to.equal("remote");
    await service.start();
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
    const ids = new Map<string, string>();
    for (const s of studies)
      for (const bytes of s.instances)
        ids.set(s.studyInstanceUid, (await client.uploadInstance(bytes)).parentStudy);
    const svc = service;
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
