/**
 * The one place a study's images become findings and a report:
 * decode → preprocess → infer → aggregate → triage → SR. Used by the service
 * (images fetched over DICOMweb) and by `radz infer` (Part-10 files), so both
 * produce the same scores and the same SR for the same pixels.
 */
import type { Config } from "../config/index.js";
import { decodeFrame, preprocess, type DicomInstance } from "../imaging/index.js";
import type { ZeroShotModel } from "../model/index.js";
import type { LabelScore } from "../model/types.js";
import {
  buildStudyReport,
  triage,
  type BuiltReport,
  type SourceImageRef,
  type TriageResult,
} from "../report/index.js";
import { aggregateScores } from "./aggregate.js";
import type { Stopwatch } from "./stopwatch.js";

export interface StudyAnalysis {
  readonly studyInstanceUid: string;
  readonly findings: LabelScore[];
  readonly triage: TriageResult;
  readonly images: SourceImageRef[];
}

export function imageRef(instance: DicomInstance): SourceImageRef {
  return {
    studyInstanceUid: instance.studyInstanceUid,
    seriesInstanceUid: instance.seriesInstanceUid,
    sopInstanceUid: instance.sopInstanceUid,
    sopClassUid: instance.sopClassUid,
  };
}

/** Decodes, preprocesses and scores the selected images of one study. */
export async function analyzeImages(
  instances: readonly DicomInstance[],
  model: ZeroShotModel,
  config: Pick<Config, "imaging" | "model">,
  clock: Stopwatch,
): Promise<StudyAnalysis> {
  const first = instances[0];
  if (!first) throw new Error("analyzeImages needs at least one image");
  const tensors = instances.map((instance) => {
    const decoded = clock.time("decode", () =>
      decodeFrame(instance, {
        frame: 0,
        windowIndex: config.imaging.windowIndex,
        maxPixels: config.imaging.maxPixels,
      }),
    );
    return clock.time("preprocess", () => preprocess(decoded, model.preprocess));
  });
  const perImage = await clock.timeAsync("inference", () => model.scoreImages(tensors));
  const findings = aggregateScores(perImage, config.model.aggregation);
  return {
    studyInstanceUid: first.studyInstanceUid,
    findings,
    triage: triage(findings),
    images: instances.map(imageRef),
  };
}

export function buildReport(
  analysis: StudyAnalysis,
  source: DicomInstance,
  model: ZeroShotModel,
  config: Pick<Config, "report">,
  softwareVersion: string,
  clock: Stopwatch,
): BuiltReport {
  return clock.time("srBuild", () =>
    buildStudyReport({
      source: source.dataset,
      images: analysis.images,
      findings: analysis.findings,
      triage: analysis.triage,
      model: model.identity,
      codingSchemes: model.manifest.codingSchemes,
      device: {
        manufacturer: config.report.manufacturer,
        softwareVersion,
        ...(config.report.institutionName
          ? { institutionName: config.report.institutionName }
          : {}),
      },
      series: {
        number: config.report.seriesNumber,
        description: `${config.report.seriesDescription} ${model.identity.name}`.slice(0, 64),
      },
    }),
  );
}
