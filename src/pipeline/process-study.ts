/**
 * The service's study processor: Orthanc study → its series (Orthanc's index)
 * → instances of the series that can be eligible → selection →
 * WADO-RS → analyze → earlier results → SR + summary image → STOW-RS →
 * verify → (delete earlier results) → flags. Returns what the job records.
 * Write-back and idempotency: write-back.ts.
 */
import type { Config } from "../config/index.js";
import type { DicomWebClient } from "../dicomweb/index.js";
import { RadzError } from "../errors.js";
import { readStudyCandidates, selectImages } from "../intake/index.js";
import type { JobResult } from "../jobs/index.js";
import type { ZeroShotModel } from "../model/index.js";
import type { Logger } from "../observability/index.js";
import type { OrthancClient } from "../orthanc/index.js";
import { buildReport, resultRegion, scorePreparedImages, type StudyAnalysis } from "./analyze.js";
import { DecodePool } from "./decode-pool.js";
import { fetchAndPrepareImages } from "./fetch-images.js";
import type { StudyProcessor } from "./job-runner.js";
import { Stopwatch } from "./stopwatch.js";
import { reportUids, type BuiltReport } from "../report/index.js";
import { deleteEarlierResults, findEarlierResults, storeResultObjects } from "./write-back.js";
import type { StudyFlagger } from "../flags/index.js";

export interface StudyProcessorDeps {
  orthanc: Pick<
    OrthancClient,
    "study" | "studyInstances" | "studySeries" | "instanceSopClassUid" | "deleteInstance"
  >;
  dicomweb: Pick<
    DicomWebClient,
    | "searchForInstances"
    | "searchForSeries"
    | "seriesInstances"
    | "retrieveInstance"
    | "storeInstances"
  >;
  model: ZeroShotModel;
  config: Config;
  logger: Logger;
  softwareVersion: string;
  /** Writes the study's flags into Orthanc after the SR is stored (stage "flags"); absent: no flags. */
  flags?: Pick<StudyFlagger, "apply">;
  /** Decodes and preprocesses images on worker threads (decode-pool.ts); absent: on this thread. */
  decodePool?: Pick<DecodePool, "prepare" | "allocate">;
  /** The clock for the results' Content Date/Time (default: the system clock). */
  now?: () => Date;
}

export function jobResult(
  analysis: StudyAnalysis,
  report: BuiltReport | null,
  model: ZeroShotModel,
  clock: Stopwatch,
): JobResult {
  return {
    studyInstanceUid: analysis.studyInstanceUid,
    findings: analysis.findings.map((f) => ({
      labelId: f.labelId,
      display: f.display,
      probability: f.probability,
      threshold: f.threshold,
      positive: f.positive,
      ...(f.regions ? { regions: f.regions.map(resultRegion) } : {}),
    })),
    priority: analysis.triage.priority,
    triageScore: analysis.triage.score,
    model: {
      id: model.identity.id,
      version: model.identity.version,
      labelSetHash: model.identity.labelSetHash,
    },
    images: analysis.images.map((i) => i.sopInstanceUid),
    sr: report
      ? { sopInstanceUid: report.sopInstanceUid, seriesInstanceUid: report.seriesInstanceUid }
      : null,
    timings: clock.toJSON(),
  };
}

export function createStudyProcessor(deps: StudyProcessorDeps): StudyProcessor {
  const { orthanc, dicomweb, model, config } = deps;
  const inThread = new DecodePool({ threads: 0 });
  return async (job, signal) => {
    const clock = new Stopwatch();
    // Time queued before this attempt was claimed (since enqueue, or since its retry was due).
    if (job.startedAt !== null)
      clock.add("queueWait", Math.max(0, job.startedAt - Math.max(job.createdAt, job.notBefore)));
    const study = await clock.timeAsync("orthanc", () => orthanc.study(job.orthancStudyId));
    const studyUid = study.studyInstanceUid;

    // Series first: instances only of the series that can hold a chest radiograph.
    const found = await clock.timeAsync("qido", () =>
      readStudyCandidates({ orthanc, dicomweb }, job.orthancStudyId, studyUid, config.selection),
    );
    const { selected, rejected } = selectImages(found.candidates, config.selection);
    if (selected.length === 0) {
      const reasons = [...new Set([...found.rejectedSeries, ...rejected].map((r) => r.reason))]
        .slice(0, 5)
        .join("; ");
      throw new RadzError(
        "NO_ELIGIBLE_IMAGES",
        `no eligible chest radiograph among ${found.instanceCount} instance(s)${reasons ? `: ${reasons}` : ""}`,
      );
    }

    // Each image is decoded (on the decode pool when there is one) while the next is fetched.
    const prepared = await fetchAndPrepareImages(
      selected,
      { dicomweb, pool: deps.decodePool ?? inThread, config, preprocess: model.preprocess },
      clock,
    );
    const instances = prepared.map((p) => p.instance);
    // Past the shutdown deadline (JOB_INTERRUPTED): stop before inference and write-back.
    signal.throwIfAborted();
    const analysis = await scorePreparedImages(
      prepared,
      prepared[0]!.thumbnail!,
      model,
      config,
      clock,
    );
    const earlier = await clock.timeAsync("results", () =>
      // The series listing above (Orthanc's index) names the SR and OT series, if any:
      // a new study costs no query here.
      findEarlierResults(dicomweb, studyUid, reportUids(studyUid, model.identity), found.series),
    );
    const { sr: report, summary } = await buildReport(
      analysis,
      instances[0]!,
      model,
      config,
      deps.softwareVersion,
      clock,
      { predecessor: earlier.predecessor, ...(deps.now ? { contentDateTime: deps.now() } : {}) },
    );
    signal.throwIfAborted();
    const objects = summary ? [report, summary] : [report];
    // Re-processing (docs/reliability.md): a changed study's new result reuses the
    // deterministic UIDs, and Orthanc keeps an instance it already has — so the
    // previous run's objects are deleted first when the images read changed.
    // A crash in between only leaves the job to run again.
    if (job.result?.sr && !sameImages(job.result.images, analysis.images)) {
      await clock.timeAsync("replace", () =>
        deleteEarlierResults(
          orthanc,
          job.orthancStudyId,
          objects.map((o) => ({ ...o, studyInstanceUid: studyUid })),
          deps.logger,
        ),
      );
    }
    const outcome = await storeResultObjects(dicomweb, studyUid, objects, clock);
    if (outcome.alreadyPresent.length > 0)
      deps.logger.info(
        { objects: outcome.alreadyPresent.length },
        "result objects were already in the study (same deterministic UIDs); kept as stored",
      );
    if (outcome.warnings.length > 0)
      deps.logger.warn(
        // Reason codes only: the UID prefix is dropped from each warning.
        { warnings: outcome.warnings.map((w) => w.replace(/^[0-9.]+: /, "")) },
        "STOW-RS stored the results with warnings",
      );
    if (config.report.previousResults === "delete" && earlier.objects.length > 0) {
      await clock.timeAsync("delete", () =>
        deleteEarlierResults(orthanc, job.orthancStudyId, earlier.objects, deps.logger),
      );
    }
    const flags = deps.flags;
    if (flags) {
      await clock.timeAsync("flags", () =>
        flags.apply(job.orthancStudyId, {
          priority: analysis.triage.priority,
          findings: analysis.findings,
          sr: { sopInstanceUid: report.sopInstanceUid },
        }),
      );
    }
    return jobResult(analysis, report, model, clock);
  };
}

function sameImages(
  before: readonly string[],
  now: readonly { readonly sopInstanceUid: string }[],
): boolean {
  const b = new Set(before);
  return b.size === now.length && now.every((i) => b.has(i.sopInstanceUid));
}
