/**
 * The one place a study's images become findings and a report:
 * decode → preprocess → infer → aggregate → triage → SR (+ summary image).
 * Used by the service
 * (images fetched over DICOMweb) and by `radz infer` (Part-10 files), so both
 * produce the same scores and the same SR for the same pixels.
 */
import type { Config } from "../config/index.js";
import {
  decodeFrame,
  fitGeometry,
  preprocess,
  thumbnailOf,
  type DicomInstance,
  type GreyImage,
} from "../imaging/index.js";
import type { InferenceBackend } from "../inference/index.js";
import type { ResultRegion } from "../jobs/index.js";
import {
  applyCalibration,
  regionsFromMap,
  type FindingRegion,
  type ImageEncoding,
  type LabelScore,
  type ZeroShotModel,
} from "../model/index.js";
import {
  buildStudyReport,
  buildSummaryImage,
  triage,
  type BuiltReport,
  type BuiltSummaryImage,
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
  /** The first image read, downscaled to 8-bit grey (at most 512 px a side), for the summary image. */
  readonly thumbnail: GreyImage;
}

export function imageRef(instance: DicomInstance): SourceImageRef {
  const dimension = (value: unknown): number | undefined => {
    const n = Number(value);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  };
  const frames = dimension(instance.dataset.NumberOfFrames);
  const columns = dimension(instance.dataset.Columns);
  const rows = dimension(instance.dataset.Rows);
  return {
    studyInstanceUid: instance.studyInstanceUid,
    seriesInstanceUid: instance.seriesInstanceUid,
    sopInstanceUid: instance.sopInstanceUid,
    sopClassUid: instance.sopClassUid,
    ...(frames !== undefined && frames > 1 ? { numberOfFrames: frames } : {}),
    ...(columns !== undefined ? { columns } : {}),
    ...(rows !== undefined ? { rows } : {}),
  };
}

/**
 * Decodes, preprocesses and scores the selected images of one study. The
 * backend embeds (default: the model's own session); scoring is always the
 * model's, so scores do not depend on where the encoder ran.
 */
export async function analyzeImages(
  instances: readonly DicomInstance[],
  model: ZeroShotModel,
  config: Pick<Config, "imaging" | "model"> & Partial<Pick<Config, "triage">>,
  clock: Stopwatch,
  backend: Pick<InferenceBackend, "encodeImages"> = model,
  options: LocaliseOptions = {},
): Promise<StudyAnalysis> {
  const first = instances[0];
  if (!first) throw new Error("analyzeImages needs at least one image");
  let thumbnail: GreyImage | undefined;
  const tensors = instances.map((instance) => {
    const decoded = clock.time("decode", () =>
      decodeFrame(instance, {
        frame: 0,
        windowIndex: config.imaging.windowIndex,
        maxPixels: config.imaging.maxPixels,
      }),
    );
    // Only a small copy of the first image outlives this loop.
    thumbnail ??= clock.time("thumbnail", () => thumbnailOf(decoded));
    return clock.time("preprocess", () => preprocess(decoded, model.preprocess));
  });
  return scorePreparedImages(
    instances.map((instance, i) => ({ instance, tensor: tensors[i]! })),
    thumbnail!,
    model,
    config,
    clock,
    backend,
    options,
  );
}

export interface LocaliseOptions {
  /**
   * Which findings get regions (bundles with a spatial output only):
   * "positive" (default) the study's positive findings; "all" every label
   * (radz eval, which scores the map of every truly positive study).
   */
  readonly localise?: "positive" | "all";
}

/** One image already decoded and preprocessed (here, or on the decode pool: decode-pool.ts). */
export interface PreparedInput {
  readonly instance: DicomInstance;
  readonly tensor: Float32Array;
}

/** Infers, aggregates and triages images already decoded and preprocessed. */
export async function scorePreparedImages(
  images: readonly PreparedInput[],
  thumbnail: GreyImage,
  model: ZeroShotModel,
  config: Pick<Config, "model"> & Partial<Pick<Config, "triage">>,
  clock: Stopwatch,
  backend: Pick<InferenceBackend, "encodeImages"> = model,
  options: LocaliseOptions = {},
): Promise<StudyAnalysis> {
  const first = images[0];
  if (!first) throw new Error("scorePreparedImages needs at least one image");
  const tensors = images.map((i) => i.tensor);
  const encodings = await clock.timeAsync("inference", () => backend.encodeImages(tensors));
  const perImage = model.scoreEmbeddings(encodings.map((e) => e.embedding));
  const scored = applyTriageOverrides(
    aggregateScores(perImage, config.model.aggregation),
    config.triage?.labels ?? {},
  );
  const findings = encodings.some((e) => e.patches)
    ? clock.time("localisation", () =>
        localiseFindings(
          scored,
          perImage,
          images,
          encodings,
          model,
          options.localise ?? "positive",
        ),
      )
    : scored;
  return {
    studyInstanceUid: first.instance.studyInstanceUid,
    findings,
    triage: triage(findings),
    images: images.map((i) => imageRef(i.instance)),
    thumbnail,
  };
}

/**
 * Regions for the study's findings (model/localisation.ts) from each image's
 * patch embeddings: for a finding, the images whose own probability reaches
 * its threshold (when none does — mean aggregation, or "all" — the image
 * with the highest probability), each region with the label's calibration of
 * its peak patch logit as its score.
 */
export function localiseFindings(
  findings: readonly LabelScore[],
  perImage: readonly (readonly LabelScore[])[],
  images: readonly PreparedInput[],
  encodings: readonly ImageEncoding[],
  model: Pick<ZeroShotModel, "labels" | "preprocess" | "patchLogits">,
  which: "positive" | "all",
): LabelScore[] {
  const { size, fit } = model.preprocess;
  // Per finding, the images to localise it on.
  const wanted = findings.map((f, k) => {
    if (which === "positive" && !f.positive) return [];
    const column = perImage.map((scores) => scores[k]!.probability);
    const chosen = column.flatMap((p, i) => (p >= f.threshold ? [i] : []));
    return chosen.length > 0 ? chosen : [column.indexOf(Math.max(...column))];
  });
  const regions = findings.map((): FindingRegion[] => []);
  images.forEach((image, i) => {
    const patches = encodings[i]?.patches;
    const columns = Number(image.instance.dataset.Columns);
    const rows = Number(image.instance.dataset.Rows);
    const here = findings.flatMap((_, k) => (wanted[k]!.includes(i) ? [k] : []));
    if (!patches || !(columns > 0) || !(rows > 0) || here.length === 0) return;
    // One pass over the patch grid for every label this image is localised for.
    const maps = model.patchLogits(
      patches,
      here.map((k) => findings[k]!.labelId),
    );
    const placement = { columns, rows, size, geometry: fitGeometry(columns, rows, size, fit) };
    here.forEach((k, m) => {
      const calibration = model.labels.find((l) => l.id === findings[k]!.labelId)?.calibration;
      const found = regionsFromMap(
        { gridHeight: patches.height, gridWidth: patches.width, values: maps[m]! },
        placement,
      );
      for (const r of found)
        regions[k]!.push({
          sopInstanceUid: image.instance.sopInstanceUid,
          // The pipeline reads the first frame of each image (decodeFrame frame 0).
          frame: 1,
          peak: r.peak,
          box: r.box,
          polygon: r.polygon,
          score: calibration ? applyCalibration(calibration, r.peakValue) : r.peakValue,
        });
    });
  });
  return findings.map((f, k) =>
    which === "positive" && !f.positive ? f : { ...f, regions: regions[k]! },
  );
}

/** A region as results carry it (radz infer --json, the job record, the API). */
export function resultRegion(r: FindingRegion): ResultRegion {
  return {
    sopInstanceUID: r.sopInstanceUid,
    frame: r.frame,
    peak: r.peak,
    box: r.box,
    polygon: r.polygon,
    score: r.score,
  };
}

/**
 * The one place config overrides (`triage.labels`) replace the bundle's
 * calibrated threshold and triage weight of a label, before triage and the SR
 * (docs/triage.md). Labels without an override are returned unchanged.
 */
export function applyTriageOverrides(
  findings: readonly LabelScore[],
  overrides: Config["triage"]["labels"],
): LabelScore[] {
  return findings.map((f) => {
    const o = overrides[f.labelId];
    if (o === undefined) return f;
    const threshold = o.threshold ?? f.threshold;
    return {
      ...f,
      threshold,
      positive: f.probability >= threshold,
      triageWeight: o.weight ?? f.triageWeight,
    };
  });
}

/** What a study's result is written as: the SR, and the summary image unless `report.summaryImage` is off. */
export interface ReportObjects {
  readonly sr: BuiltReport;
  readonly summary: BuiltSummaryImage | null;
}

export interface BuildReportOptions {
  /** The earlier RadZ SR this one replaces (Predecessor Documents Sequence). */
  readonly predecessor?: SourceImageRef | null;
  /** Content Date/Time of both objects (default: now). */
  readonly contentDateTime?: Date;
}

/** Builds the SR and (when configured) the summary image, with one content date/time. */
export async function buildReport(
  analysis: StudyAnalysis,
  source: DicomInstance,
  model: ZeroShotModel,
  config: Pick<Config, "report">,
  softwareVersion: string,
  clock: Stopwatch,
  options: BuildReportOptions = {},
): Promise<ReportObjects> {
  const description = `${config.report.seriesDescription} ${model.identity.name}`.slice(0, 64);
  const common = {
    source: source.dataset,
    images: analysis.images,
    findings: analysis.findings,
    triage: analysis.triage,
    model: model.identity,
    device: {
      manufacturer: config.report.manufacturer,
      softwareVersion,
      ...(config.report.institutionName ? { institutionName: config.report.institutionName } : {}),
    },
    series: { number: config.report.seriesNumber, description },
    contentDateTime: options.contentDateTime ?? new Date(),
  };
  const sr = clock.time("srBuild", () =>
    buildStudyReport({
      ...common,
      codingSchemes: model.manifest.codingSchemes,
      ...(options.predecessor ? { predecessor: options.predecessor } : {}),
    }),
  );
  const summary = config.report.summaryImage
    ? await clock.timeAsync("summary", () =>
        buildSummaryImage({
          ...common,
          // The summary image has a series of its own (an image modality; docs/report.md).
          series: { number: config.report.summarySeriesNumber, description },
          thumbnail: analysis.thumbnail,
        }),
      )
    : null;
  return { sr, summary };
}
