/**
 * A procedural PA chest radiograph phantom: thorax, two lung fields with rib
 * texture, mediastinum, heart, diaphragm domes, clavicles and noise, plus the
 * synthetic findings drawn as simple patterns.
 *
 * Geometry lives in "anatomy units": x runs across the image with the image
 * centre at 0 and half the longer image side at 1 (so a pad-to-square resize
 * puts the anatomy at the same place for any aspect ratio); y uses the same
 * unit, downwards.
 * Image left (x < 0) is the patient's right, as a PA film is displayed.
 *
 * Rendering is one tight loop over a Uint16Array with per-row invariants
 * hoisted, so 2048 x 2500 images take well under a second.
 */
import type { Prng } from "./prng.js";
import type { SyntheticLabel } from "./labels.js";

/** Millimetres spanned by the longer image side (a 43 cm detector). */
export const FIELD_WIDTH_MM = 430;

/** Stored pixel values: BitsStored 12, attenuation 0..1 maps to STORED_OFFSET..STORED_OFFSET + STORED_RANGE. */
export const BITS_STORED = 12;
export const STORED_OFFSET = 150;
export const STORED_RANGE = 3800;

/** Side of the image a unilateral finding is on: -1 image left (patient right), +1 image right (patient left). */
export type Side = -1 | 1;

export interface EffusionParams {
  readonly side: Side;
  /** Fluid level at the hemithorax centre (anatomy y); the meniscus rises laterally. */
  readonly level: number;
}
export interface PneumothoraxParams {
  readonly side: Side;
  /** Width of the air rim between chest wall and the visceral pleural line. */
  readonly rim: number;
  /** Lowest anatomy y the air rim reaches. */
  readonly lowerY: number;
}
export interface ConsolidationParams {
  readonly side: Side;
  readonly t: number;
  readonly y: number;
  readonly sigma: number;
  readonly amplitude: number;
}
export interface NoduleParams {
  readonly side: Side;
  readonly t: number;
  readonly y: number;
  readonly diameterMm: number;
  readonly amplitude: number;
}

/** Everything a study's images share: which findings, where. */
export interface StudyFindings {
  readonly labels: readonly SyntheticLabel[];
  /** Heart half-width in anatomy units (cardiomegaly: much wider). */
  readonly heartHalfWidth: number;
  readonly effusion?: EffusionParams;
  readonly pneumothorax?: PneumothoraxParams;
  readonly consolidation?: ConsolidationParams;
  readonly nodule?: NoduleParams;
}

/**
 * How a detector turns attenuation into stored values, beyond the default's
 * linear response (src/synthetic/sites.ts): a power-law exposure/contrast
 * curve applied to the attenuation before gain and noise, and an optional
 * burned-in lead marker (a bright block letter) drawn after.
 */
export interface DetectorResponse {
  /** Attenuation a in 0..1 becomes a^gamma (gamma < 1 lifts the dark end and flattens contrast). */
  readonly gamma: number;
  /** A burned-in marker: top-left corner and height in anatomy units, letter "L" or "R". */
  readonly marker?: {
    readonly x: number;
    readonly y: number;
    readonly height: number;
    readonly letter: "L" | "R";
  };
}

/** Per-image acquisition variation. */
export interface ImageJitter {
  readonly shiftX: number;
  readonly shiftY: number;
  readonly scale: number;
  readonly gain: number;
  readonly offset: number;
  readonly noiseSigma: number;
  readonly noiseSeed: number;
}

// ---- anatomy ----------------------------------------------------------------

const MEDIAL = 0.13;
const HEMI_CENTRE = 0.42;
const HEART_X = 0.08;
const HEART_Y = 0.2;
const HEART_HALF_HEIGHT = 0.26;

/** Lateral lung boundary (chest wall) at anatomy y. */
function lateralWall(y: number): number {
  if (y > -0.25) return 0.74;
  const d = -0.25 - y;
  return 0.74 - 0.55 * d * d;
}

/** Top of the lung apex at distance t from the midline. */
function apexTop(t: number): number {
  const d = t - HEMI_CENTRE;
  return -0.8 + 1.2 * d * d;
}

/** Diaphragm dome: lowest lung y at distance t from the midline. */
function dome(t: number): number {
  const u = (t - HEMI_CENTRE) / 0.32;
  return 0.36 + 0.16 * u * u;
}

/** Whether an anatomy point is inside a lung field (ignores the heart). */
export function inLungField(t: number, y: number): boolean {
  return t > MEDIAL && t < lateralWall(y) && y > apexTop(t) && y < dome(t);
}

function inHeart(x: number, y: number, halfWidth: number): boolean {
  const u = (x - HEART_X) / halfWidth;
  const v = (y - HEART_Y) / HEART_HALF_HEIGHT;
  return u * u + v * v < 1;
}

// ---- study-level random draws ----------------------------------------------

/** Draws which findings a study has (each independently with `rate`) and where. */
export function drawStudyFindings(rng: Prng, rate: number): StudyFindings {
  const labels: SyntheticLabel[] = [];
  const has = (label: SyntheticLabel): boolean => {
    const present = rng.chance(rate);
    if (present) labels.push(label);
    return present;
  };
  const effusionPresent = has("pleural_effusion");
  const pneumothoraxPresent = has("pneumothorax");
  const cardiomegalyPresent = has("cardiomegaly");
  const consolidationPresent = has("consolidation");
  const nodulePresent = has("nodule");

  const heartHalfWidth = cardiomegalyPresent ? rng.uniform(0.4, 0.46) : rng.uniform(0.26, 0.31);
  const effusion: EffusionParams | undefined = effusionPresent
    ? { side: rng.sign(), level: rng.uniform(0.2, 0.32) }
    : undefined;
  const pneumothorax: PneumothoraxParams | undefined = pneumothoraxPresent
    ? { side: rng.sign(), rim: rng.uniform(0.07, 0.12), lowerY: rng.uniform(-0.15, 0.05) }
    : undefined;
  const consolidation: ConsolidationParams | undefined = consolidationPresent
    ? {
        side: rng.sign(),
        t: rng.uniform(0.36, 0.58),
        y: rng.uniform(-0.32, -0.1),
        sigma: rng.uniform(0.07, 0.1),
        amplitude: rng.uniform(0.3, 0.38),
      }
    : undefined;
  let nodule: NoduleParams | undefined;
  if (nodulePresent) {
    // Rejection-sample a position well inside a lung field, clear of the heart
    // and of the other findings (so the nodule is visible, not hidden by them).
    const side = rng.sign();
    const clear = (t: number, y: number): boolean => {
      if (!(
        inLungField(t - 0.06, y) &&
        inLungField(t + 0.06, y) &&
        inLungField(t, y - 0.06) &&
        inLungField(t, y + 0.08)
      ))
        return false;
      if (inHeart(side * t, y, heartHalfWidth + 0.08)) return false;
      if (
        consolidation &&
        consolidation.side === side &&
        Math.hypot(t - consolidation.t, y - consolidation.y) < 3.2 * consolidation.sigma
      )
        return false;
      if (pneumothorax && pneumothorax.side === side && y < pneumothorax.lowerY + 0.1) {
        const margin = pneumothorax.rim + 0.12;
        if (lateralWall(y) - t < margin || y - apexTop(t) < margin) return false;
      }
      if (effusion && effusion.side === side) {
        const m = t > HEMI_CENTRE ? (t - HEMI_CENTRE) / 0.32 : 0;
        if (y > effusion.level - 0.2 * m * m - 0.1) return false;
      }
      return true;
    };
    let t = 0.45;
    let y = -0.3;
    for (let i = 0; i < 200; i++) {
      t = rng.uniform(0.24, 0.64);
      y = rng.uniform(-0.4, 0.15);
      if (clear(t, y)) break;
    }
    nodule = { side, t, y, diameterMm: rng.uniform(6, 12), amplitude: rng.uniform(0.32, 0.42) };
  }
  return { labels, heartHalfWidth, effusion, pneumothorax, consolidation, nodule };
}

/** Draws one image's acquisition variation. */
export function drawImageJitter(rng: Prng): ImageJitter {
  return {
    shiftX: rng.uniform(-0.025, 0.025),
    shiftY: rng.uniform(-0.025, 0.025),
    scale: rng.uniform(0.96, 1.04),
    gain: rng.uniform(0.93, 1.07),
    offset: rng.uniform(-0.02, 0.02),
    noiseSigma: rng.uniform(0.008, 0.014),
    noiseSeed: rng.nextUint32(),
  };
}

// ---- rendering --------------------------------------------------------------

/** A consolidation counts as drawn where it adds at least this much attenuation (0..1 scale). */
export const CONSOLIDATION_VISIBLE = 0.1;

/** Pixel box [x0, y0, x1, y1) (x = column, y = row; x1, y1 exclusive). */
export type PixelBox = readonly [number, number, number, number];

/**
 * Collects, while an image is rendered, the box of the pixels each finding
 * changed in the final image: effusion fluid, pneumothorax air rim and
 * pleural line, consolidation where it adds >= CONSOLIDATION_VISIBLE, the
 * nodule disc, and for cardiomegaly the heart. A finding hidden by the heart
 * is not counted there.
 */
export class DrawnExtents {
  private readonly b = new Map<SyntheticLabel, [number, number, number, number]>();

  add(label: SyntheticLabel, x: number, y: number): void {
    const box = this.b.get(label);
    if (!box) {
      this.b.set(label, [x, y, x + 1, y + 1]);
      return;
    }
    if (x < box[0]) box[0] = x;
    if (y < box[1]) box[1] = y;
    if (x + 1 > box[2]) box[2] = x + 1;
    if (y + 1 > box[3]) box[3] = y + 1;
  }

  /** Boxes of the findings drawn, in SYNTHETIC_LABELS order of insertion. */
  boxes(): ReadonlyMap<SyntheticLabel, PixelBox> {
    return this.b;
  }
}

const AIR = 0.03;
const SOFT_TISSUE = 0.5;
const ABDOMEN = 0.6;
const MEDIASTINUM = 0.72;
const HEART = 0.7;
const FLUID = 0.58;
const PNEUMOTHORAX_AIR = 0.04;
const PLEURAL_LINE = 0.4;

/**
 * Renders one image: rows x columns stored values (BitsStored 12, MONOCHROME2:
 * higher = brighter = more attenuation).
 */
export function renderChestPhantom(
  findings: StudyFindings,
  jitter: ImageJitter,
  rows: number,
  columns: number,
  detector?: DetectorResponse,
  drawn?: DrawnExtents,
): Uint16Array {
  const out = new Uint16Array(rows * columns);
  const gamma = detector?.gamma ?? 1;
  const unit = Math.max(rows, columns) / 2;
  const invScale = 1 / jitter.scale;
  const maxStored = (1 << BITS_STORED) - 1;
  const pixelUnit = 1 / unit / jitter.scale; // one pixel in anatomy units
  const eff = findings.effusion;
  const ptx = findings.pneumothorax;
  const con = findings.consolidation;
  const nod = findings.nodule;
  const noduleRadius = nod ? nod.diameterMm / 2 / (FIELD_WIDTH_MM / 2) : 0;
  const noduleX = nod ? nod.side * nod.t : 0;
  const conX = con ? con.side * con.t : 0;
  const conInv2s2 = con ? 1 / (2 * con.sigma * con.sigma) : 0;
  const conReach2 = con ? 9 * con.sigma * con.sigma : 0;
  const pleuralLineWidth = Math.max(0.006, 1.5 * pixelUnit);
  const hw = findings.heartHalfWidth;
  const trackHeart = drawn !== undefined && findings.labels.includes("cardiomegaly");

  // Noise: xorshift32 inline, Irwin-Hall(4) approximation of a Gaussian.
  let ns = jitter.noiseSeed >>> 0 || 0x9e3779b9;
  const noiseScale = jitter.noiseSigma * Math.sqrt(3) * 2 ** -32;

  for (let r = 0; r < rows; r++) {
    const y = (r + 0.5 - rows / 2) / unit;
    const ya = (y - jitter.shiftY) * invScale;
    const wall = lateralWall(ya);
    // Thorax outline: an ellipse below the shoulders, straight sides above them.
    const bodyV = (Math.max(ya, -0.3) - 0.1) / 1.15;
    const bodyHalfWidth = bodyV * bodyV < 1 ? 0.88 * Math.sqrt(1 - bodyV * bodyV) : 0;
    const rowBase = r * columns;
    const hv = (ya - HEART_Y) / HEART_HALF_HEIGHT;
    const hv2 = hv * hv;
    const ptxRow = ptx !== undefined && ya < ptx.lowerY;
    const nodDy = nod ? ya - nod.y : 0;
    const conDy = con ? ya - con.y : 0;
    for (let c = 0; c < columns; c++) {
      const x = (c + 0.5 - columns / 2) / unit;
      const xa = (x - jitter.shiftX) * invScale;
      const t = xa < 0 ? -xa : xa;
      const side: Side = xa < 0 ? -1 : 1;
      let a: number;
      // Which findings changed this pixel (only when extents are collected).
      let marks = 0;
      if (t >= bodyHalfWidth) {
        a = AIR;
      } else {
        a = SOFT_TISSUE;
        const du = (t - HEMI_CENTRE) / 0.32;
        const domeY = 0.36 + 0.16 * du * du;
        const dt = t - HEMI_CENTRE;
        const apex = -0.8 + 1.2 * dt * dt;
        if (ya >= domeY && t < 0.8) a = ABDOMEN;
        if (t > MEDIAL && t < wall && ya > apex && ya < domeY) {
          // Lung field: dark, brighter towards the hila, with posterior ribs.
          a = 0.19 + 0.07 * (1 - (t - MEDIAL) / 0.61);
          const phi = (ya - 0.3 * t * t) / 0.16;
          const frac = phi - Math.floor(phi);
          if (frac < 0.3) a += 0.055 * Math.sin((Math.PI * frac) / 0.3);
          if (con !== undefined && side === con.side) {
            const dx = xa - conX;
            const d2 = dx * dx + conDy * conDy;
            if (d2 < conReach2) {
              const add = con.amplitude * Math.exp(-d2 * conInv2s2);
              a += add;
              if (add >= CONSOLIDATION_VISIBLE) marks |= 4;
            }
          }
          if (nod !== undefined && side === nod.side) {
            const dx = xa - noduleX;
            const d = Math.sqrt(dx * dx + nodDy * nodDy);
            if (d < noduleRadius) {
              a += nod.amplitude * Math.min(1, (noduleRadius - d) / (0.3 * noduleRadius));
              marks |= 8;
            }
          }
          if (eff !== undefined && side === eff.side) {
            const m = t > HEMI_CENTRE ? (t - HEMI_CENTRE) / 0.32 : 0;
            const level = eff.level - 0.2 * m * m;
            if (ya > level) {
              const blend = Math.min(1, (ya - level) / 0.03);
              a = a * (1 - blend) + FLUID * blend;
              marks |= 1;
            }
          }
          if (ptxRow && ptx !== undefined && side === ptx.side) {
            const d = Math.min(wall - t, (ya - apex) * 0.9);
            if (d < ptx.rim + pleuralLineWidth) {
              a = d < ptx.rim ? PNEUMOTHORAX_AIR : PLEURAL_LINE;
              marks = 2; // air replaces whatever else was drawn here
            }
          }
        }
        if (t < MEDIAL && ya < 0.4 && ya > -1) a = MEDIASTINUM;
        const hu = (xa - HEART_X) / hw;
        if (hu * hu + hv2 < 1) {
          a = HEART;
          marks = trackHeart ? 16 : 0;
        }
        // Clavicles: bright oblique bands over the apices.
        const cy = ya - (-0.62 + 0.25 * t);
        if (t > 0.08 && t < 0.62 && cy > -0.022 && cy < 0.022) a += 0.1;
      }
      if (gamma !== 1) a = a > 0 ? a ** gamma : 0;
      if (marks !== 0 && drawn !== undefined) {
        if (marks & 1) drawn.add("pleural_effusion", c, r);
        if (marks & 2) drawn.add("pneumothorax", c, r);
        if (marks & 4) drawn.add("consolidation", c, r);
        if (marks & 8) drawn.add("nodule", c, r);
        if (marks & 16) drawn.add("cardiomegaly", c, r);
      }
      ns ^= ns << 13;
      ns ^= ns >>> 17;
      ns ^= ns << 5;
      let sum = ns >>> 0;
      ns ^= ns << 13;
      ns ^= ns >>> 17;
      ns ^= ns << 5;
      sum += ns >>> 0;
      ns ^= ns << 13;
      ns ^= ns >>> 17;
      ns ^= ns << 5;
      sum += ns >>> 0;
      ns ^= ns << 13;
      ns ^= ns >>> 17;
      ns ^= ns << 5;
      sum += ns >>> 0;
      const noise = (sum - 2 * 4294967296) * noiseScale;
      let v = (a * jitter.gain + jitter.offset + noise) * STORED_RANGE + STORED_OFFSET;
      v = v < 0 ? 0 : v > maxStored ? maxStored : v;
      out[rowBase + c] = Math.round(v);
    }
  }
  if (detector?.marker) burnInMarker(out, rows, columns, detector.marker, maxStored);
  return out;
}

/** Block-letter strokes on a 3 x 5 grid (column, row, width, height). */
const MARKER_STROKES: Record<"L" | "R", readonly (readonly [number, number, number, number])[]> = {
  L: [
    [0, 0, 1, 5],
    [0, 4, 3, 1],
  ],
  R: [
    [0, 0, 1, 5],
    [0, 0, 3, 1],
    [2, 0, 1, 3],
    [0, 2, 3, 1],
    [1, 3, 1, 1],
    [2, 4, 1, 1],
  ],
};

/** Draws a lead marker letter at full brightness (a burned-in annotation). */
function burnInMarker(
  out: Uint16Array,
  rows: number,
  columns: number,
  marker: NonNullable<DetectorResponse["marker"]>,
  value: number,
): void {
  const unit = Math.max(rows, columns) / 2;
  const cell = (marker.height / 5) * unit;
  const left = (marker.x * unit + columns / 2) | 0;
  const top = (marker.y * unit + rows / 2) | 0;
  for (const [cx, cy, w, h] of MARKER_STROKES[marker.letter]) {
    const r0 = Math.max(0, Math.round(top + cy * cell));
    const r1 = Math.min(rows, Math.round(top + (cy + h) * cell));
    const c0 = Math.max(0, Math.round(left + cx * cell));
    const c1 = Math.min(columns, Math.round(left + (cx + w) * cell));
    for (let r = r0; r < r1; r++) out.fill(value, r * columns + c0, r * columns + c1);
  }
}
