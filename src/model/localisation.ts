/**
 * Where a finding is: one label's similarity map over the image encoder's
 * patch grid → regions in the source image's pixel coordinates. Pure
 * arithmetic (no I/O), deterministic.
 *
 * Coordinates: x = column, y = row, continuous, (0, 0) the top-left corner of
 * the top-left pixel, so pixel (c, r) covers [c, c + 1) x [r, r + 1) and its
 * centre is (c + 0.5, r + 0.5) — the convention of DICOM SCOORD Graphic Data.
 *
 * Steps, per label and image:
 *  1. The map (one value per patch, [gridHeight, gridWidth] covering the
 *     size x size model input) is sampled bilinearly at the centre of every
 *     model-input pixel that shows the image (padding is left out; patch
 *     (i, j) is centred at ((j + 0.5) * size / gridWidth, (i + 0.5) * size / gridHeight)).
 *  2. Level: background + REGION_LEVEL x (peak - background), where peak is
 *     the highest sample and background the median of the grid cells whose
 *     centres show the image. A map whose peak does not stand above its
 *     median gives no region.
 *  3. Samples at or above the level form regions (8-connected components);
 *     each gets its highest sample (the peak point, the first in row order
 *     on ties), its bounding box and its outer contour along pixel edges
 *     (holes ignored), simplified by Douglas-Peucker with a tolerance of
 *     CONTOUR_TOLERANCE model-input pixels. Regions are ordered by peak value,
 *     highest first; at most MAX_REGIONS are kept, and none smaller than
 *     MIN_REGION_PIXELS.
 *  4. Model-input coordinates are mapped back through the preprocessing
 *     geometry (imaging/preprocess.ts fitGeometry: the pad offset or crop
 *     origin, then the resize scale, which the resampler applies to pixel
 *     edges exactly) and clipped to the source image.
 */
import type { Geometry } from "../imaging/index.js";

/** Regions are where the map reaches this fraction of the way from its median to its peak. */
export const REGION_LEVEL = 0.5;
/** At most this many regions per label and image. */
export const MAX_REGIONS = 3;
/** Regions smaller than this many model-input pixels are dropped (noise). */
export const MIN_REGION_PIXELS = 4;
/** Douglas-Peucker tolerance of contours, in model-input pixels. */
export const CONTOUR_TOLERANCE = 0.75;

export type Point = readonly [number, number];

/** One region in source pixel coordinates, with the map's value at its peak. */
export interface MapRegion {
  readonly peak: Point;
  readonly box: readonly [number, number, number, number];
  readonly polygon: readonly Point[];
  /** The map's (bilinearly sampled) value at the peak. */
  readonly peakValue: number;
}

export interface SimilarityMap {
  readonly gridHeight: number;
  readonly gridWidth: number;
  /** Row-major [gridHeight * gridWidth]. */
  readonly values: ArrayLike<number>;
}

/** The source image and how preprocessing placed it in the size x size model input. */
export interface SourcePlacement {
  readonly columns: number;
  readonly rows: number;
  /** The model input side (preprocess.size). */
  readonly size: number;
  /** fitGeometry(columns, rows, size, fit). */
  readonly geometry: Geometry;
}

/** The model-input rectangle that shows the image: [x0, y0, x1, y1) in input pixels. */
function visibleRect(p: SourcePlacement): [number, number, number, number] {
  const { dest, region } = p.geometry;
  return [dest.x0, dest.y0, dest.x0 + region.width, dest.y0 + region.height];
}

/** Model-input coordinates → source pixel coordinates (continuous, clipped to the image). */
export function inputToSource(p: SourcePlacement, x: number, y: number): Point {
  const g = p.geometry;
  const sx = ((x - g.dest.x0 + g.region.x0) * p.columns) / g.resizedWidth;
  const sy = ((y - g.dest.y0 + g.region.y0) * p.rows) / g.resizedHeight;
  return [clip(sx, p.columns), clip(sy, p.rows)];
}

/** Source pixel coordinates → model-input coordinates (the inverse of inputToSource, unclipped). */
export function sourceToInput(p: SourcePlacement, x: number, y: number): Point {
  const g = p.geometry;
  return [
    (x * g.resizedWidth) / p.columns - g.region.x0 + g.dest.x0,
    (y * g.resizedHeight) / p.rows - g.region.y0 + g.dest.y0,
  ];
}

function clip(v: number, max: number): number {
  return round2(Math.min(max, Math.max(0, v)));
}

/** Two decimals: sub-pixel enough for any viewer, and stable in JSON. */
function round2(v: number): number {
  return Math.round(v * 100) / 100 + 0; // + 0 turns -0 into 0
}

/**
 * The map sampled bilinearly at model-input position (x, y) (continuous
 * input-pixel coordinates; cell centres at (j + 0.5) * size / gridWidth).
 */
export function sampleMap(map: SimilarityMap, size: number, x: number, y: number): number {
  const { gridHeight: gh, gridWidth: gw, values } = map;
  const gx = Math.min(gw - 1, Math.max(0, (x * gw) / size - 0.5));
  const gy = Math.min(gh - 1, Math.max(0, (y * gh) / size - 0.5));
  const j0 = Math.floor(gx);
  const i0 = Math.floor(gy);
  const j1 = Math.min(gw - 1, j0 + 1);
  const i1 = Math.min(gh - 1, i0 + 1);
  const fx = gx - j0;
  const fy = gy - i0;
  const top = values[i0 * gw + j0]! * (1 - fx) + values[i0 * gw + j1]! * fx;
  const bottom = values[i1 * gw + j0]! * (1 - fx) + values[i1 * gw + j1]! * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Median of the grid cells whose centres fall on the image (quickselect; no full sort). */
function background(map: SimilarityMap, size: number, rect: readonly number[]): number {
  const { gridHeight: gh, gridWidth: gw, values } = map;
  const picked = new Float64Array(gh * gw);
  let n = 0;
  for (let i = 0; i < gh; i++) {
    const cy = ((i + 0.5) * size) / gh;
    if (cy < rect[1]! || cy >= rect[3]!) continue;
    for (let j = 0; j < gw; j++) {
      const cx = ((j + 0.5) * size) / gw;
      if (cx >= rect[0]! && cx < rect[2]!) picked[n++] = values[i * gw + j]!;
    }
  }
  if (n === 0) for (let k = 0; k < gh * gw; k++) picked[n++] = values[k]!;
  const a = picked.subarray(0, n);
  const m = n >> 1;
  const upper = select(a, m);
  if (n % 2 === 1) return upper;
  // The lower middle is the largest value left of position m after the selection.
  let lower = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < m; k++) if (a[k]! > lower) lower = a[k]!;
  return (lower + upper) / 2;
}

/** The k-th smallest value (0-based) of `a`, which it partially reorders (Hoare quickselect, middle pivot). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

/** Perpendicular distance of p from the line through a and b. */
function lineDistance(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = Math.hypot(dx, dy);
  if (len === 0) return Math.hypot(p[0] - a[0], p[1] - a[1]);
  return Math.abs(dy * (p[0] - a[0]) - dx * (p[1] - a[1])) / len;
}

/** Douglas-Peucker on an open polyline (iterative; keeps the end points). */
function simplifyOpen(points: readonly Point[], tolerance: number): Point[] {
  if (points.length <= 2) return [...points];
  const keep = new Uint8Array(points.length);
  keep[0] = 1;
  keep[points.length - 1] = 1;
  const stack: [number, number][] = [[0, points.length - 1]];
  while (stack.length > 0) {
    const [a, b] = stack.pop()!;
    let worst = -1;
    let index = -1;
    for (let k = a + 1; k < b; k++) {
      const d = lineDistance(points[k]!, points[a]!, points[b]!);
      if (d > worst) {
        worst = d;
        index = k;
      }
    }
    if (index >= 0 && worst > tolerance) {
      keep[index] = 1;
      stack.push([a, index], [index, b]);
    }
  }
  return points.filter((_, k) => keep[k] === 1);
}

/** Douglas-Peucker on a closed ring: split at the vertex farthest from the first. */
export function simplifyRing(ring: readonly Point[], tolerance: number): Point[] {
  if (ring.length <= 4) return [...ring];
  let far = 0;
  let best = -1;
  for (let k = 1; k < ring.length; k++) {
    const d = Math.hypot(ring[k]![0] - ring[0]![0], ring[k]![1] - ring[0]![1]);
    if (d > best) {
      best = d;
      far = k;
    }
  }
  const first = simplifyOpen(ring.slice(0, far + 1), tolerance);
  const second = simplifyOpen([...ring.slice(far), ring[0]!], tolerance);
  const out = [...first.slice(0, -1), ...second.slice(0, -1)];
  return out.length >= 3 ? out : [...ring];
}

// Directions along pixel edges: right, down, left, up (y grows downwards).
const DX = [1, 0, -1, 0] as const;
const DY = [0, 1, 0, -1] as const;

/**
 * The outer contour of one 8-connected component along pixel edges, clockwise
 * on screen, as the corners where it turns. `inside(x, y)` says whether pixel
 * (x, y) belongs to the component; (sx, sy) is its first pixel in row order.
 */
export function traceContour(
  inside: (x: number, y: number) => boolean,
  sx: number,
  sy: number,
): Point[] {
  // Start at the top-left corner of the first pixel, heading right along its top edge
  // (the component is on the right-hand side of the direction of travel).
  if (!inside(sx, sy)) return [];
  let x = sx;
  let y = sy;
  let d = 0;
  const corners: Point[] = [];
  for (let step = 0; step < 16_000_000; step++) {
    // The two pixels ahead of corner (x, y) in direction d: ahead-left and ahead-right.
    const [lx, ly, rx, ry] =
      d === 0
        ? [x, y - 1, x, y]
        : d === 1
          ? [x, y, x - 1, y]
          : d === 2
            ? [x - 1, y, x - 1, y - 1]
            : [x - 1, y - 1, x, y - 1];
    let nd: number;
    if (inside(lx, ly)) nd = (d + 3) % 4;
    else if (inside(rx, ry)) nd = d;
    else nd = (d + 1) % 4;
    if (nd !== d || step === 0) corners.push([x, y]);
    d = nd;
    x += DX[d]!;
    y += DY[d]!;
    // The start is a convex corner that only the start pixel touches: the contour passes it once.
    if (x === sx && y === sy) break;
  }
  return corners;
}

export interface RegionOptions {
  /** Fraction of the way from the median to the peak (default REGION_LEVEL). */
  readonly level?: number;
  readonly maxRegions?: number;
}

/** A map's regions on one image, in source pixel coordinates (see the module comment). */
export function regionsFromMap(
  map: SimilarityMap,
  placement: SourcePlacement,
  options: RegionOptions = {},
): MapRegion[] {
  const { size } = placement;
  const rect = visibleRect(placement);
  const [vx0, vy0, vx1, vy1] = rect;
  const w = vx1 - vx0;
  const h = vy1 - vy0;
  if (w <= 0 || h <= 0) return [];
  // 1. Sample the map at every visible input pixel (separable bilinear weights, as sampleMap).
  const { gridHeight: gh, gridWidth: gw, values } = map;
  const axis = (count: number, from: number, cells: number) => {
    const i0 = new Int32Array(count);
    const i1 = new Int32Array(count);
    const f = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      const g = Math.min(cells - 1, Math.max(0, ((from + k + 0.5) * cells) / size - 0.5));
      i0[k] = Math.floor(g);
      i1[k] = Math.min(cells - 1, i0[k]! + 1);
      f[k] = g - i0[k]!;
    }
    return { i0, i1, f };
  };
  const ax = axis(w, vx0, gw);
  const ay = axis(h, vy0, gh);
  const heat = new Float64Array(w * h);
  let peak = Number.NEGATIVE_INFINITY;
  for (let y = 0; y < h; y++) {
    const r0 = ay.i0[y]! * gw;
    const r1 = ay.i1[y]! * gw;
    const fy = ay.f[y]!;
    for (let x = 0; x < w; x++) {
      const j0 = ax.i0[x]!;
      const j1 = ax.i1[x]!;
      const fx = ax.f[x]!;
      const top = values[r0 + j0]! * (1 - fx) + values[r0 + j1]! * fx;
      const bottom = values[r1 + j0]! * (1 - fx) + values[r1 + j1]! * fx;
      const v = top * (1 - fy) + bottom * fy;
      heat[y * w + x] = v;
      if (v > peak) peak = v;
    }
  }
  // 2. The level.
  const bg = background(map, size, rect);
  if (!(peak > bg) || !Number.isFinite(peak)) return [];
  const level = bg + (options.level ?? REGION_LEVEL) * (peak - bg);
  // 3. Components at or above the level.
  const label = new Int32Array(w * h);
  const stack: number[] = [];
  const found: { id: number; start: number; pixels: number; best: number; bestAt: number }[] = [];
  const boxes: [number, number, number, number][] = [];
  for (let k = 0; k < w * h; k++) {
    if (label[k] !== 0 || heat[k]! < level) continue;
    const id = found.length + 1;
    label[k] = id;
    stack.push(k);
    let pixels = 0;
    let best = Number.NEGATIVE_INFINITY;
    let bestAt = k;
    let bx0 = w;
    let by0 = h;
    let bx1 = -1;
    let by1 = -1;
    while (stack.length > 0) {
      const p = stack.pop()!;
      pixels++;
      const px = p % w;
      const py = (p - px) / w;
      const v = heat[p]!;
      if (v > best || (v === best && p < bestAt)) {
        best = v;
        bestAt = p;
      }
      if (px < bx0) bx0 = px;
      if (px > bx1) bx1 = px;
      if (py < by0) by0 = py;
      if (py > by1) by1 = py;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = py + dy;
        if (ny < 0 || ny >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = px + dx;
          if (nx < 0 || nx >= w || (dx === 0 && dy === 0)) continue;
          const q = ny * w + nx;
          if (label[q] === 0 && heat[q]! >= level) {
            label[q] = id;
            stack.push(q);
          }
        }
      }
    }
    found.push({ id, start: k, pixels, best, bestAt });
    boxes.push([bx0, by0, bx1 + 1, by1 + 1]);
  }
  const chosen = found
    .map((f, i) => ({ ...f, box: boxes[i]! }))
    .filter((f) => f.pixels >= MIN_REGION_PIXELS)
    .sort((a, b) => b.best - a.best || a.start - b.start)
    .slice(0, options.maxRegions ?? MAX_REGIONS);
  // 4. Contours and boxes, back to source pixels.
  const toSource = (x: number, y: number): Point => inputToSource(placement, vx0 + x, vy0 + y);
  return chosen.map((f) => {
    const inside = (x: number, y: number): boolean =>
      x >= 0 && y >= 0 && x < w && y < h && label[y * w + x] === f.id;
    const sx = f.start % w;
    const sy = (f.start - sx) / w;
    const ring = simplifyRing(traceContour(inside, sx, sy), CONTOUR_TOLERANCE);
    const px = f.bestAt % w;
    const py = (f.bestAt - px) / w;
    const [x0, y0] = toSource(f.box[0], f.box[1]);
    const [x1, y1] = toSource(f.box[2], f.box[3]);
    return {
      peak: toSource(px + 0.5, py + 0.5),
      box: [x0, y0, x1, y1] as const,
      polygon: dedupe(ring.map(([x, y]) => toSource(x, y))),
      peakValue: f.best,
    };
  });
}

/** Drops consecutive repeats (clipping and rounding can make them). */
function dedupe(points: readonly Point[]): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  if (out.length > 1 && out[0]![0] === out.at(-1)![0] && out[0]![1] === out.at(-1)![1]) out.pop();
  return out;
}
