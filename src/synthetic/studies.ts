/**
 * Synthetic chest radiograph studies: deterministic for a seed, with known
 * findings, as DICOM Part-10 DX For Presentation instances. Test and demo data
 * only: every patient is fictitious ("SYNTHETIC^CASEnnnn").
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { SYNTHETIC_LABELS, type SyntheticLabel } from "./labels.js";
import { Prng } from "./prng.js";
import {
  BITS_STORED,
  DrawnExtents,
  type PixelBox,
  FIELD_WIDTH_MM,
  STORED_OFFSET,
  STORED_RANGE,
  renderChestPhantom,
} from "./phantom.js";
import { SITE_PROFILES, SYNTHETIC_SITES, type SyntheticSite } from "./sites.js";
import { writeDxForPresentation, type DxPatientStudy } from "./dx-image.js";
import { uid225 } from "./uids.js";

export interface SyntheticStudyOptions {
  readonly count: number;
  readonly seed: number;
  /** Default 512. */
  readonly rows?: number;
  /** Default 512. */
  readonly columns?: number;
  /** Images per study, all PA views of the same findings. Default 1. */
  readonly imagesPerStudy?: 1 | 2 | 3;
  /** Probability that each finding is present, independently. Default 0.35. */
  readonly findingRate?: number;
  /** Where the studies come from (src/synthetic/sites.ts). Default "default". */
  readonly site?: SyntheticSite;
}

export interface SyntheticStudy {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUids: readonly string[];
  /** Label ids of the findings present (subset of SYNTHETIC_LABELS, in that order). */
  readonly labels: readonly SyntheticLabel[];
  /** DICOM Part-10 bytes, one per image. */
  readonly instances: readonly Uint8Array[];
  /** Where each finding was drawn, per image: the box of the pixels it changed (phantom.ts DrawnExtents). */
  readonly drawn: readonly DrawnFinding[];
}

/** One finding's drawn box on one image, in source pixels [x0, y0, x1, y1) (x = column). */
export interface DrawnFinding {
  readonly sopInstanceUid: string;
  readonly label: SyntheticLabel;
  readonly box: PixelBox;
}

export const DEFAULT_FINDING_RATE = 0.35;

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function checkOptions(o: SyntheticStudyOptions): void {
  const rows = o.rows ?? 512;
  const columns = o.columns ?? 512;
  if (!Number.isInteger(o.count) || o.count < 0)
    throw new RangeError("count must be a non-negative integer");
  if (!Number.isInteger(o.seed)) throw new RangeError("seed must be an integer");
  for (const [name, v] of [
    ["rows", rows],
    ["columns", columns],
  ] as const) {
    if (!Number.isInteger(v) || v < 16 || v > 65535)
      throw new RangeError(`${name} must be an integer in 16..65535`);
  }
  const rate = o.findingRate ?? DEFAULT_FINDING_RATE;
  if (!(rate >= 0 && rate <= 1)) throw new RangeError("findingRate must be in [0, 1]");
  if (o.site !== undefined && !SYNTHETIC_SITES.includes(o.site))
    throw new RangeError(`site must be one of ${SYNTHETIC_SITES.join(", ")}`);
}

/** Generates one study; `index` is its position in the set (0-based). */
export function generateSyntheticStudy(
  options: SyntheticStudyOptions,
  index: number,
): SyntheticStudy {
  const rows = options.rows ?? 512;
  const columns = options.columns ?? 512;
  const images = options.imagesPerStudy ?? 1;
  const rate = options.findingRate ?? DEFAULT_FINDING_RATE;
  const seed = options.seed;
  const site = SITE_PROFILES[options.site ?? "default"];

  const studyRng = new Prng(seed, index, site.studyStream);
  const findings = site.drawFindings(studyRng, rate);
  const caseNo = index + 1;
  // Dates: a fixed epoch plus a seeded offset, so they look plausible and stay stable.
  const day = new Date(Date.UTC(2024, 0, 1) + studyRng.int(0, 364) * 86_400_000);
  const studyDate = `${day.getUTCFullYear()}${pad(day.getUTCMonth() + 1, 2)}${pad(day.getUTCDate(), 2)}`;
  const studyTime = `${pad(studyRng.int(7, 19), 2)}${pad(studyRng.int(0, 59), 2)}${pad(studyRng.int(0, 59), 2)}`;
  const birthYear = 1940 + studyRng.int(0, 60);
  const patient: DxPatientStudy = {
    patientName: `SYNTHETIC^CASE${pad(caseNo, 4)}`,
    patientId: `SYN${pad(seed >>> 0, 6)}-${pad(caseNo, 5)}`,
    patientBirthDate: `${birthYear}${pad(studyRng.int(1, 12), 2)}${pad(studyRng.int(1, 28), 2)}`,
    patientSex: studyRng.chance(0.5) ? "F" : "M",
    accessionNumber: `SYNACC${pad(caseNo, 6)}`,
    studyInstanceUid: uid225(site.uidRoot, seed, index, "study"),
    studyDate,
    studyTime,
    studyId: pad(caseNo, 4),
    referringPhysicianName: "SYNTHETIC^REFERRER",
  };
  const seriesInstanceUid = uid225(site.uidRoot, seed, index, "series");
  const frameOfReferenceUid = uid225(site.uidRoot, seed, index, "frame-of-reference");
  const pixelSpacingMm = FIELD_WIDTH_MM / Math.max(rows, columns);

  const sopInstanceUids: string[] = [];
  const instances: Uint8Array[] = [];
  const drawn: DrawnFinding[] = [];
  for (let i = 0; i < images; i++) {
    const { jitter, detector } = site.drawImage(new Prng(seed, index, site.imageStream + i));
    const extents = new DrawnExtents();
    const pixels = renderChestPhantom(findings, jitter, rows, columns, detector, extents);
    const sopInstanceUid = uid225(site.uidRoot, seed, index, "instance", i);
    sopInstanceUids.push(sopInstanceUid);
    for (const label of SYNTHETIC_LABELS) {
      const box = extents.boxes().get(label);
      if (box) drawn.push({ sopInstanceUid, label, box });
    }
    instances.push(
      writeDxForPresentation({
        ...patient,
        seriesInstanceUid,
        sopInstanceUid,
        frameOfReferenceUid,
        seriesNumber: 1,
        instanceNumber: i + 1,
        rows,
        columns,
        bitsStored: BITS_STORED,
        pixelSpacingMm,
        windowCenter: STORED_OFFSET + STORED_RANGE / 2,
        windowWidth: STORED_RANGE,
        pixels,
        detectorId: site.detectorId,
        burnedInAnnotation: site.burnedInAnnotation,
      }),
    );
  }
  return {
    studyInstanceUid: patient.studyInstanceUid,
    seriesInstanceUid,
    sopInstanceUids,
    labels: findings.labels,
    instances,
    drawn,
  };
}

/** Generates `count` studies, deterministic for `seed` (same seed, same bytes). */
export function generateSyntheticStudies(options: SyntheticStudyOptions): SyntheticStudy[] {
  checkOptions(options);
  const studies: SyntheticStudy[] = [];
  for (let i = 0; i < options.count; i++) studies.push(generateSyntheticStudy(options, i));
  return studies;
}

/**
 * The ground-truth file `radz eval` reads (truth.csv):
 *
 *   studyInstanceUID,pleural_effusion,pneumothorax,cardiomegaly,consolidation,nodule
 *   2.25.1234...,0,1,0,0,0
 *
 * One header line (the literal `studyInstanceUID` then the label ids in
 * SYNTHETIC_LABELS order), then one line per study with 1 = finding present,
 * 0 = absent. Lines end with "\n"; no quoting (UIDs and label ids contain no commas).
 */
export function truthCsv(
  studies: readonly Pick<SyntheticStudy, "studyInstanceUid" | "labels">[],
): string {
  const lines = [["studyInstanceUID", ...SYNTHETIC_LABELS].join(",")];
  for (const s of studies) {
    lines.push(
      [s.studyInstanceUid, ...SYNTHETIC_LABELS.map((l) => (s.labels.includes(l) ? "1" : "0"))].join(
        ",",
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Header of regions.csv. */
export const REGIONS_CSV_HEADER = "studyInstanceUID,sopInstanceUID,label,x0,y0,x1,y1";

/**
 * regions.csv, beside truth.csv: one line per finding drawn on each image,
 *
 *   studyInstanceUID,sopInstanceUID,label,x0,y0,x1,y1
 *   2.25.1234...,2.25.5678...,nodule,301,140,313,152
 *
 * the box of the pixels the finding changed, in source pixels (x = column,
 * y = row; x0, y0 the first column and row, x1, y1 one past the last), the
 * coordinates `radz infer --json` reports regions in. `radz eval` reads it
 * for pointingGame and meanBoxIoU.
 */
export function regionsCsv(
  studies: readonly Pick<SyntheticStudy, "studyInstanceUid" | "drawn">[],
): string {
  const lines = [REGIONS_CSV_HEADER];
  for (const s of studies)
    for (const d of s.drawn)
      lines.push([s.studyInstanceUid, d.sopInstanceUid, d.label, ...d.box].join(","));
  return `${lines.join("\n")}\n`;
}

export interface WrittenSyntheticStudies {
  readonly studies: number;
  /** Paths of the .dcm files written, in study then instance order. */
  readonly files: string[];
  /** Path of truth.csv. */
  readonly truthCsv: string;
  /** Path of regions.csv. */
  readonly regionsCsv: string;
}

/**
 * Writes `dir/<StudyInstanceUID>/<n>.dcm` (n = 1..imagesPerStudy),
 * `dir/truth.csv` and `dir/regions.csv`. Studies are generated and written one at a time, so large
 * sets do not sit in memory.
 */
export async function writeSyntheticStudies(
  dir: string,
  options: SyntheticStudyOptions,
): Promise<WrittenSyntheticStudies> {
  checkOptions(options);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const truth: Pick<SyntheticStudy, "studyInstanceUid" | "labels" | "drawn">[] = [];
  for (let i = 0; i < options.count; i++) {
    const study = generateSyntheticStudy(options, i);
    const studyDir = path.join(dir, study.studyInstanceUid);
    await mkdir(studyDir, { recursive: true });
    for (const [n, bytes] of study.instances.entries()) {
      const file = path.join(studyDir, `${n + 1}.dcm`);
      await writeFile(file, bytes);
      files.push(file);
    }
    truth.push({
      studyInstanceUid: study.studyInstanceUid,
      labels: study.labels,
      drawn: study.drawn,
    });
  }
  const truthPath = path.join(dir, "truth.csv");
  await writeFile(truthPath, truthCsv(truth));
  const regionsPath = path.join(dir, "regions.csv");
  await writeFile(regionsPath, regionsCsv(truth));
  return { studies: options.count, files, truthCsv: truthPath, regionsCsv: regionsPath };
}
