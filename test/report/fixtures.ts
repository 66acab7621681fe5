/**
 * Fixed inputs for report/ tests, built in code (no downloads).
 */
import { floatPixels, type DisplayPixels } from "../../src/imaging/display-pixels.js";
import type { CodedConcept, LabelScore, ModelIdentity } from "../../src/model/types.js";
import { FINDING_CONCEPTS } from "../../src/model/concepts.js";
import { writePart10 } from "../../src/report/dcmjs.js";
import type { SourceImageRef, StudyReportInput } from "../../src/report/structured-report.js";
import { triage } from "../../src/report/triage.js";

export const STUDY_UID = "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000001";
export const SERIES_UID = "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000002";
export const SERIES2_UID = "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000003";
export const DX_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1.1"; // Digital X-Ray Image Storage - For Presentation
export const CR_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1"; // Computed Radiography Image Storage
export const FIXED_DATE = new Date(Date.UTC(2024, 0, 15, 9, 30, 0));

export function image(
  n: number,
  seriesUid = SERIES_UID,
  sopClassUid = DX_SOP_CLASS,
): SourceImageRef {
  return {
    studyInstanceUid: STUDY_UID,
    seriesInstanceUid: seriesUid,
    sopInstanceUid: `${seriesUid}.${n}`,
    sopClassUid,
  };
}

export const MODEL: ModelIdentity = {
  id: "radz-cxr-demo",
  name: "RadZ CXR zero-shot",
  version: "1.2.0",
  labelSetHash: "0123456789abcdef",
  synthetic: true,
  executionProvider: "cpu",
};

export function label(
  labelId: string,
  concept: CodedConcept,
  probability: number,
  threshold: number,
  triageWeight: number,
): LabelScore {
  return {
    labelId,
    display: concept.meaning,
    concept,
    logit: Math.log(probability / (1 - probability)),
    probability,
    threshold,
    positive: probability >= threshold,
    triageWeight,
  };
}

export function basicFindings(): LabelScore[] {
  return [
    label("pneumothorax", FINDING_CONCEPTS.pneumothorax, 0.8125, 0.5, 1),
    label("pleural_effusion", FINDING_CONCEPTS.pleural_effusion, 0.25, 0.5, 0.8),
    label("pulmonary_edema", FINDING_CONCEPTS.pulmonary_edema, 0.6, 0.55, 0.5),
  ];
}

/** basicFindings with regions on the positive ones (image(1), source pixels of a 2000 x 2500 image). */
export function localisedFindings(): LabelScore[] {
  const sopInstanceUid = image(1).sopInstanceUid;
  return basicFindings().map((f) => {
    if (f.labelId === "pneumothorax")
      return {
        ...f,
        regions: [
          {
            sopInstanceUid,
            frame: 1,
            peak: [1420.5, 610.25],
            box: [1200, 400, 1700, 900],
            polygon: [
              [1200, 400],
              [1700, 400],
              [1700, 900],
              [1450, 820.5],
              [1200, 900],
            ],
            score: 0.9,
          },
          {
            sopInstanceUid,
            frame: 1,
            peak: [300, 1800],
            box: [250, 1750, 350, 1850],
            polygon: [],
            score: 0.7,
          },
        ],
      };
    if (f.labelId === "pulmonary_edema")
      return {
        ...f,
        regions: [
          {
            sopInstanceUid,
            frame: 1,
            peak: [1000, 1250],
            box: [700, 1000, 1300, 1500],
            polygon: [
              [700, 1000],
              [1300, 1000],
              [1000, 1500],
            ],
            score: 0.65,
          },
        ],
      };
    return f;
  });
}

export function sourceDataset(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    SpecificCharacterSet: "ISO_IR 100",
    SOPClassUID: DX_SOP_CLASS,
    SOPInstanceUID: `${SERIES_UID}.1`,
    StudyInstanceUID: STUDY_UID,
    SeriesInstanceUID: SERIES_UID,
    Modality: "DX",
    PatientName: "Doe^Jane",
    PatientID: "PAT-0001",
    PatientBirthDate: "19700101",
    PatientSex: "F",
    StudyDate: "20240115",
    StudyTime: "081500",
    ReferringPhysicianName: "Smith^John",
    StudyID: "S1",
    AccessionNumber: "ACC-42",
    StudyDescription: "XR CHEST PA",
    ...overrides,
  };
}

export function reportInput(overrides: Partial<StudyReportInput> = {}): StudyReportInput {
  const findings = overrides.findings ?? basicFindings();
  return {
    source: sourceDataset(),
    images: [image(1)],
    findings,
    triage: triage(findings),
    model: MODEL,
    device: {
      manufacturer: "RadZ project",
      softwareVersion: "0.1.0",
      institutionName: "Demo Hospital",
    },
    series: { number: 9001, description: "RadZ AI results (unverified)" },
    contentDateTime: FIXED_DATE,
    ...overrides,
  };
}

/** A Part-10 source instance (header only, no pixels) with the fixture's attributes. */
export function buildSourcePart10(overrides: Record<string, unknown>): Uint8Array {
  const dataset = sourceDataset(overrides);
  return writePart10(
    {
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
      MediaStorageSOPClassUID: dataset.SOPClassUID,
      MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
      TransferSyntaxUID: "1.2.840.10008.1.2.1",
      ImplementationClassUID: "2.25.1",
    },
    dataset,
  );
}

/**
 * A smooth display image (values in [0, 1]) with a known mean: a horizontal
 * ramp plus a bright disc, `rows` x `columns`.
 */
export function displayImage(
  rows = 300,
  columns = 240,
): { rows: number; columns: number; data: Float32Array; pixels: DisplayPixels } {
  const data = new Float32Array(rows * columns);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const disc = Math.hypot(x - columns * 0.35, y - rows * 0.5) < rows * 0.2 ? 0.3 : 0;
      data[y * columns + x] = 0.15 + 0.5 * (x / columns) + disc;
    }
  }
  return { rows, columns, data, pixels: floatPixels(data, columns) };
}
