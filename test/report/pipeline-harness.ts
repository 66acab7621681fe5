/**
 * The service's study processor wired to a real Orthanc for report/ write-back
 * tests (write-back.int.test.ts and the crash child in tools/). Built from the
 * same parts as src/app.ts, without the HTTP API and the change feed.
 */
import { loadConfig, type Config } from "../../src/config/index.js";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import type { Job, JobStore } from "../../src/jobs/index.js";
import { loadModel, type ZeroShotModel } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import type { StudyProcessor } from "../../src/pipeline/job-runner.js";
import { createStudyProcessor, type StudyProcessorDeps } from "../../src/pipeline/process-study.js";

export interface HarnessOptions {
  readonly orthancUrl: string;
  readonly dicomwebUrl: string;
  readonly bundleDir: string;
  readonly dbPath: string;
  readonly previousResults?: "keep" | "delete";
  readonly summaryImage?: boolean;
  /** The processor's clock for the results' Content Date/Time (default: the system clock). */
  readonly now?: () => Date;
}

export interface Harness {
  readonly config: Config;
  readonly model: ZeroShotModel;
  readonly orthanc: OrthancClient;
  readonly dicomweb: DicomWebClient;
  /** The real processor; `wrap` may replace the DICOMweb client it uses (fault injection). */
  processor(
    wrap?: (d: StudyProcessorDeps["dicomweb"]) => StudyProcessorDeps["dicomweb"],
  ): StudyProcessor;
  close(): Promise<void>;
}

export async function createHarness(o: HarnessOptions): Promise<Harness> {
  const config = loadConfig({
    env: {},
    overrides: {
      orthanc: { url: o.orthancUrl },
      jobs: { dbPath: o.dbPath, backoffBaseMs: 100 },
      model: { bundle: o.bundleDir },
      report: {
        previousResults: o.previousResults ?? "keep",
        summaryImage: o.summaryImage ?? true,
      },
      log: { level: "silent" },
    },
  });
  const logger = silentLogger();
  const model = await loadModel(o.bundleDir, {
    executionProviders: ["cpu"],
    requireGpu: false,
    logger,
  });
  const orthanc = new OrthancClient({ url: o.orthancUrl, timeoutMs: 10_000, logger });
  const dicomweb = new DicomWebClient({
    url: o.dicomwebUrl,
    timeoutMs: 10_000,
    maxInstanceBytes: config.dicomweb.maxInstanceBytes,
  });
  return {
    config,
    model,
    orthanc,
    dicomweb,
    processor: (wrap) =>
      createStudyProcessor({
        orthanc,
        dicomweb: wrap ? wrap(dicomweb) : dicomweb,
        model,
        config,
        logger,
        softwareVersion: "0.0.0-test",
        ...(o.now ? { now: o.now } : {}),
      }),
    close: () => model.close(),
  };
}

/**
 * Runs the study once as the job runner would: (re)queue its job, claim it,
 * process it, and commit the result. Returns the committed job.
 */
export async function processOnce(
  store: JobStore,
  processor: StudyProcessor,
  orthancStudyId: string,
): Promise<Job> {
  store.requeue(orthancStudyId, "manual");
  const job = store.claimNext(Date.now());
  if (job === null || job.orthancStudyId !== orthancStudyId)
    throw new Error("the study's job could not be claimed");
  const result = await processor(job, new AbortController().signal);
  return store.complete(job.id, result);
}
