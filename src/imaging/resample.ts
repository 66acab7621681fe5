/**
 * Separable resampling of a single-channel Float32 image.
 *
 * Why not sharp: sharp (libvips) resamples 8/16-bit integer pixels with its
 * own kernels and rounding, so it cannot take our Float32 display values
 * without quantising them, and its output is neither bit-exact with the
 * reference implementation models were trained with (PIL) nor easy to verify
 * independently. Scores must be reproducible to 1e-5 on every backend, so
 * the resampler is written out here: small, deterministic, float-exact.
 *
 * Filters (PIL semantics, Pillow src/libImaging/Resample.c, which
 * torchvision/CLIP preprocessing uses on PIL images):
 *  - bilinear: triangle kernel, support 1;
 *  - bicubic: Keys cubic convolution with a = -0.5 (PIL's choice; for a = -0.5
 *    this is the Catmull-Rom spline), support 2;
 *  - when downscaling by factor s > 1 the kernel is stretched by s (support
 *    and argument), i.e. antialiased, exactly as PIL does;
 *  - sample positions: output pixel i has its centre at (i + 0.5) * s in
 *    input coordinates (pixel-centre alignment), taps clipped to the image and
 *    weights renormalised to sum 1.
 *  - area: exact area average — each output pixel is the mean of the input
 *    area it covers, with fractional weights for partly covered input pixels
 *    (OpenCV INTER_AREA for downscaling; for upscaling it degenerates to
 *    nearest-neighbour with blending at cell borders).
 */

import { rowSamples, type DisplayPixels } from "./display-pixels.js";
import { resampleRows } from "./row-sums.js";

export type ResizeFilter = "area" | "bilinear" | "bicubic";

/** Weights for one axis: output j reads `count[j]` inputs from `start[j]` with `weights[j*taps ..]`. */
export interface AxisWeights {
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly taps: number;
  readonly weights: Float64Array;
}

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

const CUBIC_A = -0.5;
function cubic(x: number): number {
  const a = Math.abs(x);
  if (a < 1) return ((CUBIC_A + 2) * a - (CUBIC_A + 3)) * a * a + 1;
  if (a < 2) return (((a - 5) * a + 8) * a - 4) * CUBIC_A;
  return 0;
}

function convolutionWeights(
  inSize: number,
  outSize: number,
  outStart: number,
  outCount: number,
  filter: "bilinear" | "bicubic",
): AxisWeights {
  const kernel = filter === "bilinear" ? triangle : cubic;
  const support0 = filter === "bilinear" ? 1 : 2;
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = support0 * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outCount);
  const count = new Int32Array(outCount);
  const weights = new Float64Array(outCount * taps);
  const inv = 1 / filterScale;
  for (let j = 0; j < outCount; j++) {
    const center = (outStart + j + 0.5) * scale;
    // Math.trunc mirrors PIL's (int) cast.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    const n = Math.min(xmax - xmin, taps);
    let total = 0;
    for (let k = 0; k < n; k++) {
      const w = kernel((xmin + k - center + 0.5) * inv);
      weights[j * taps + k] = w;
      total += w;
    }
    if (total !== 0)
      for (let k = 0; k < n; k++) weights[j * taps + k] = (weights[j * taps + k] as number) / total;
    start[j] = xmin;
    count[j] = n;
  }
  return { start, count, taps, weights };
}

function areaWeights(
  inSize: number,
  outSize: number,
  outStart: number,
  outCount: number,
): AxisWeights {
  const scale = inSize / outSize;
  const taps = Math.ceil(scale) + 2;
  const start = new Int32Array(outCount);
  const count = new Int32Array(outCount);
  const weights = new Float64Array(outCount * taps);
  for (let j = 0; j < outCount; j++) {
    const a = (outStart + j) * scale;
    const b = Math.min((outStart + j + 1) * scale, inSize);
    const first = Math.min(Math.floor(a), inSize - 1);
    let n = 0;
    let total = 0;
    for (let x = first; x < b && n < taps; x++, n++) {
      const w = Math.min(x + 1, b) - Math.max(x, a);
      weights[j * taps + n] = w;
      total += w;
    }
    if (total > 0)
      for (let k = 0; k < n; k++) weights[j * taps + k] = (weights[j * taps + k] as number) / total;
    else {
      weights[j * taps] = 1;
      n = 1;
    }
    start[j] = first;
    count[j] = n;
  }
  return { start, count, taps, weights };
}

/** Weights for outputs [outStart, outStart+outCount) of a resize inSize -> outSize. */
export function axisWeights(
  inSize: number,
  outSize: number,
  outStart: number,
  outCount: number,
  filter: ResizeFilter,
): AxisWeights {
  return filter === "area"
    ? areaWeights(inSize, outSize, outStart, outCount)
    : convolutionWeights(inSize, outSize, outStart, outCount, filter);
}

export interface ResampleRequest {
  /** The source's display values (display-pixels.ts: words through a table, or floats). */
  readonly pixels: DisplayPixels;
  readonly srcWidth: number;
  readonly srcHeight: number;
  /** Size of the whole resized image. */
  readonly outWidth: number;
  readonly outHeight: number;
  /** The part of the resized image to compute: [x0, x0+width) x [y0, y0+height). */
  readonly region: {
    readonly x0: number;
    readonly y0: number;
    readonly width: number;
    readonly height: number;
  };
  readonly filter: ResizeFilter;
}

/**
 * Resamples; returns region.width * region.height values, row-major.
 * Vertical pass first (its inner loop runs along contiguous rows), then the
 * horizontal pass on its float32 result. Each output row of the vertical
 * pass is one weighted sum of source rows, computed straight from the
 * source's words and display table over only the columns the horizontal pass
 * uses: the frame is never copied as floats. Both passes run in row-sums.ts'
 * WebAssembly kernel, one output row at a time.
 */
export function resample(req: ResampleRequest): Float32Array {
  const { srcWidth, region } = req;
  const outW = region.width;
  const outH = region.height;
  if (outH <= 0 || outW <= 0) return new Float32Array(0);
  const wx = axisWeights(srcWidth, req.outWidth, region.x0, outW, req.filter);
  const wy = axisWeights(req.srcHeight, req.outHeight, region.y0, outH, req.filter);

  // Input columns the horizontal pass needs.
  let colLo = srcWidth;
  let colHi = 0;
  for (let i = 0; i < outW; i++) {
    const s = wx.start[i] as number;
    if (s < colLo) colLo = s;
    const e = s + (wx.count[i] as number);
    if (e > colHi) colHi = e;
  }
  return resampleRows(rowSamples(req.pixels), req.pixels.columns, wy, wx, colLo, colHi);
}
