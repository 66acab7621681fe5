/**
 * Pipelining guard (issue 11): with the default configuration, the fetch
 * (WADO-RS) of the next study starts while the current study's inference is
 * still running. The model is wrapped so that its first inference blocks until
 * the test releases it; every WADO-RS retrieve and inference start/end is
 * recorded in one event log. Built from the same parts as src/app.ts (real
 * Orthanc, DICOMweb client, job store, job runner and study processor).
 */
import { expect } from "chai";
import { AsyncLocalStorage } from "node:async_hooks";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.js";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { SqliteJobStore } from "../../src/jobs/index.js";
import { loadModel, writeDemoBundle, type ZeroShotModel } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { JobRunner } from "../../src/pipeline/job-runner.js";
import { createStudyProcessor, type StudyProcessorDeps } from "../../src/pipeline/process-study.js";
import { makeTestInstance, useOrthanc } from "../helpers/orthanc.js";
import { waitFor } from "../helpers/wait.js";

type Event =
  | { kind: "wado"; study: string }
  | { kind: "inferStart"; study: string }
  | { kind: "inferEnd"; study: string };

/**
 * The model with its first inference (encodeImages, embedImages or scoreImages, whichever
 * the pipeline calls) held until `release()`.
 */
function gatedModel(
  model: ZeroShotModel,
  events: Event[],
  studyOf: () => string,
): { model: ZeroShotModel; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let first = true;
  const gated =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const study = studyOf();
      events.push({ kind: "inferStart", study });
      if (first) {
        first = false;
        await gate;
      }
      try {
        return await fn(...args);
      } finally {
        events.push({ kind: "inferEnd", study });
      }
    };
  const scoreImages = gated(model.scoreImages.bind(model));
  const embedImages = gated(model.embedImages.bind(model));
  const encodeImages = gated(model.encodeImages.bind(model));
  const wrapped = new Proxy(model, {
    get(target, prop, receiver) {
      if (prop === "scoreImages") return scoreImages;
      if (prop === "embedImages") return embedImages;
      if (prop === "encodeImages") return encodeImages;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { model: wrapped, release };
}

describe("pipeline overlap (issue 11)", function () {
  this.timeout(60_000);
  const orthancFx = useOrthanc();
  let work: string;
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), "radz-overlap-"))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it("the default configuration overlaps: study n+1 is fetched before study n's inference ends", async () => {
    const bundle = join(work, "bundle");
    await writeDemoBundle(bundle);
    const config = loadConfig({
      env: {},
      overrides: {
        orthanc: { url: orthancFx.url },
        jobs: { dbPath: ":memory:" },
        model: { bundle },
        log: { level: "silent" },
      },
    });
    // The default, not a test override, is what must overlap.
    expect(config.jobs.concurrency).to.be.at.least(2);

    const logger = silentLogger();
    const orthanc = new OrthancClient({ url: orthancFx.url, timeoutMs: 10_000, logger });
    const studies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const up = await orthanc.uploadInstance(makeTestInstance().bytes);
      studies.push(up.parentStudy);
    }

    const events: Event[] = [];
    const loaded = await loadModel(bundle, {
      executionProviders: ["cpu"],
      requireGpu: false,
      logger,
    });
    // Which job (Orthanc study) a call belongs to: the job's async context.
    const job = new AsyncLocalStorage<string>();
    const { model, release } = gatedModel(loaded, events, () => job.getStore() ?? "?");
    const dicomweb = new DicomWebClient({
      url: orthancFx.dicomwebUrl,
      timeoutMs: 10_000,
      maxInstanceBytes: config.dicomweb.maxInstanceBytes,
    });
    const recording: StudyProcessorDeps["dicomweb"] = {
      searchForInstances: (...a) => dicomweb.searchForInstances(...a),
      searchForSeries: (...a) => dicomweb.searchForSeries(...a),
      seriesInstances: (...a) => dicomweb.seriesInstances(...a),
      storeInstances: (...a) => dicomweb.storeInstances(...a),
      retrieveInstance: (study, series, sop) => {
        events.push({ kind: "wado", study: job.getStore() ?? "?" });
        return dicomweb.retrieveInstance(study, series, sop);
      },
    };
    const inner = createStudyProcessor({
      orthanc,
      dicomweb: recording,
      model,
      config,
      logger,
      softwareVersion: "0.0.0-test",
    });
    const store = new SqliteJobStore({ path: ":memory:" });
    const runner = new JobRunner({
      store,
      process: (j, signal) => job.run(j.orthancStudyId, () => inner(j, signal)),
      logger,
      concurrency: config.jobs.concurrency,
      maxAttempts: 1,
      backoffBaseMs: 1,
      backoffMaxMs: 2,
      idlePollMs: 10,
    });
    try {
      store.enqueueBatch(studies, "changes");
      runner.start();
      // The first inference is held; wait for it, then for another study's fetch.
      await waitFor(() => events.some((e) => e.kind === "inferStart"), 20_000, "an inference");
      const held = events.find((e) => e.kind === "inferStart");
      expect(held, "an inference started").to.not.equal(undefined);
      const fetchedOther = await waitFor(
        () =>
          events.some(
            (e) =>
              e.kind === "wado" &&
              e.study !== held!.study &&
              // ...recorded while the held inference has not ended
              !events.some((x) => x.kind === "inferEnd" && x.study === held!.study),
          ),
        10_000,
        "another study's fetch during the held inference",
      ).then(
        () => true,
        () => false,
      );
      release();
      await waitFor(() => store.countByState().done === 3, 30_000, "three studies done");
      expect(store.countByState().done, "all three studies done").to.equal(3);

      const heldEnd = events.findIndex((e) => e.kind === "inferEnd" && e.study === held!.study);
      const otherFetch = events.findIndex((e) => e.kind === "wado" && e.study !== held!.study);
      expect(fetchedOther, "another study was fetched while inference was held").to.equal(true);
      expect(otherFetch).to.be.greaterThan(-1);
      expect(
        otherFetch,
        "fetch of study n+1 precedes the end of study n's inference",
      ).to.be.lessThan(heldEnd);
    } finally {
      release();
      await runner.stop(5_000);
      store.close();
      await model.close();
    }
  });
});
