/**
 * Localisation metrics for `radz eval`: how well each label's regions (from
 * bundles with a spatial output) find the findings that were drawn, against
 * regions.csv (`radz demo --generate` writes it beside truth.csv):
 *
 *   studyInstanceUID,sopInstanceUID,label,x0,y0,x1,y1
 *
 * one box per finding and image, in source pixels. Per label, over the
 * studies that truly have the finding and a drawn box for it:
 *  - pointingGame: the share whose top region's peak (the region with the
 *    highest score over the study's images) lies inside a drawn box of that
 *    label on the same image (Zhang et al., "Top-down neural attention by
 *    excitation backprop", 2016: the map's maximum, whatever the score);
 *  - meanBoxIoU: the mean, over the same studies, of the intersection over
 *    union of the top region's box with the best-matching drawn box on the
 *    same image (0 when there is no region).
 */
import { readFile } from "node:fs/promises";
import { RadzError } from "../errors.js";

export type Box = readonly [number, number, number, number];

export interface DrawnRegion {
  readonly sopInstanceUid: string;
  readonly label: string;
  readonly box: Box;
}

/** StudyInstanceUID -> its drawn regions. */
export type DrawnRegions = ReadonlyMap<string, readonly DrawnRegion[]>;

/** A predicted region as scoring reports it. */
export interface PredictedRegion {
  readonly sopInstanceUid: string;
  readonly peak: readonly [number, number];
  readonly box: Box;
  readonly score: number;
}

export interface LocalisationEvaluation {
  /** Studies with the finding and a drawn box (the denominator of both metrics). */
  readonly localised: number;
  readonly pointingGame: number;
  readonly meanBoxIoU: number;
}

const HEADER = ["studyinstanceuid", "sopinstanceuid", "label", "x0", "y0", "x1", "y1"];

export function parseRegionsCsv(text: string, source = "regions file"): DrawnRegions {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map((l, i) => ({ line: l.trim(), no: i + 1 }))
    .filter(({ line }) => line !== "" && !line.startsWith("#"));
  const head = lines.shift();
  const header = head?.line.split(",").map((c) => c.trim().toLowerCase());
  if (!header || header.join(",") !== HEADER.join(","))
    throw new RadzError("INPUT_INVALID", `${source}: the header must be ${HEADER.join(",")}`);
  const out = new Map<string, DrawnRegion[]>();
  for (const { line, no } of lines) {
    const c = line.split(",").map((v) => v.trim());
    const box = c.slice(3).map(Number);
    if (
      c.length !== 7 ||
      !box.every(Number.isFinite) ||
      !(box[2]! > box[0]!) ||
      !(box[3]! > box[1]!)
    )
      throw new RadzError(
        "INPUT_INVALID",
        `${source} line ${no}: expected studyInstanceUID,sopInstanceUID,label,x0,y0,x1,y1 with x0 < x1 and y0 < y1`,
      );
    const list = out.get(c[0]!) ?? [];
    list.push({ sopInstanceUid: c[1]!, label: c[2]!, box: box as unknown as Box });
    out.set(c[0]!, list);
  }
  return out;
}

export async function readRegionsCsv(file: string): Promise<DrawnRegions> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new RadzError("INPUT_INVALID", `cannot read the regions file ${file}`, { cause: err });
  }
  return parseRegionsCsv(text, file);
}

export function boxIoU(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

function inside(p: readonly [number, number], b: Box): boolean {
  return p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3];
}

/** The region with the highest score (the first on ties). */
export function topRegion(regions: readonly PredictedRegion[]): PredictedRegion | undefined {
  let best: PredictedRegion | undefined;
  for (const r of regions) if (!best || r.score > best.score) best = r;
  return best;
}

/**
 * One label over many studies: `predicted` gives each study's regions for the
 * label (absent or empty: none found), `positive` whether the study truly has it.
 */
export function evaluateLocalisation(
  label: string,
  studies: readonly {
    readonly studyInstanceUid: string;
    readonly positive: boolean;
    readonly regions: readonly PredictedRegion[];
  }[],
  drawn: DrawnRegions,
): LocalisationEvaluation {
  let n = 0;
  let hits = 0;
  let iouSum = 0;
  for (const s of studies) {
    if (!s.positive) continue;
    const boxes = (drawn.get(s.studyInstanceUid) ?? []).filter((d) => d.label === label);
    if (boxes.length === 0) continue;
    n++;
    const top = topRegion(s.regions);
    if (!top) continue;
    const same = boxes.filter((d) => d.sopInstanceUid === top.sopInstanceUid);
    if (same.some((d) => inside(top.peak, d.box))) hits++;
    iouSum += Math.max(0, ...same.map((d) => boxIoU(top.box, d.box)));
  }
  return {
    localised: n,
    pointingGame: n > 0 ? hits / n : Number.NaN,
    meanBoxIoU: n > 0 ? iouSum / n : Number.NaN,
  };
}
