/**
 * DecodedImage -> model input tensor data (CHW, Float32, channels*size*size),
 * as a PreprocessSpec declares it. Steps, in order:
 *
 *  1. quantize8 (optional): display values rounded to 8-bit levels,
 *     round(v*255)/255 — as if the image had been exported to an 8-bit PNG.
 *  2. geometry + resize (resample.ts for the filters):
 *     - stretch: resize to size x size, aspect ignored;
 *     - pad: longer side -> size, shorter side -> round(shorter * size / longer)
 *       (at least 1), centred with floor((size - side) / 2) on each axis,
 *       the rest filled with padValue;
 *     - crop: shorter side -> size, longer side -> floor(longer * size / shorter)
 *       (torchvision Resize(int)), then a centre crop whose offset is
 *       round((side - size) / 2) with round-half-to-even (torchvision
 *       CenterCrop uses Python's round()).
 *  3. Resized values are clamped to [0,1] (bicubic overshoot), and with
 *     quantize8 rounded to 8-bit levels again — what a PIL resize of an 8-bit
 *     image yields.
 *  4. scale: "unit" keeps 0..1, "byte" multiplies by 255.
 *  5. (x - mean[c]) / std[c]; a one-element mean/std applies to every channel.
 *  6. channels 3: the grey plane is replicated into R, G and B.
 */
import { RadzError } from "../errors.js";
import type { DecodedImage } from "./decode-frame.js";
import type { PreprocessSpec } from "./preprocess-spec.js";
import { mapPixels } from "./display-pixels.js";
import { resample } from "./resample.js";

export interface Geometry {
  /** Size of the whole resized image. */
  readonly resizedWidth: number;
  readonly resizedHeight: number;
  /** The part of the resized image that lands in the output. */
  readonly region: {
    readonly x0: number;
    readonly y0: number;
    readonly width: number;
    readonly height: number;
  };
  /** Where that part lands in the size x size output. */
  readonly dest: { readonly x0: number; readonly y0: number };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Where the image goes in the output square, for each fit mode. */
export function fitGeometry(
  width: number,
  height: number,
  size: number,
  fit: PreprocessSpec["fit"],
): Geometry {
  switch (fit) {
    case "stretch":
      return {
        resizedWidth: size,
        resizedHeight: size,
        region: { x0: 0, y0: 0, width: size, height: size },
        dest: { x0: 0, y0: 0 },
      };
    case "pad": {
      const rw = width >= height ? size : Math.max(1, Math.round((width * size) / height));
      const rh = width >= height ? Math.max(1, Math.round((height * size) / width)) : size;
      return {
        resizedWidth: rw,
        resizedHeight: rh,
        region: { x0: 0, y0: 0, width: rw, height: rh },
        dest: { x0: Math.floor((size - rw) / 2), y0: Math.floor((size - rh) / 2) },
      };
    }
    case "crop": {
      const rw = width <= height ? size : Math.floor((width * size) / height);
      const rh = width <= height ? Math.floor((height * size) / width) : size;
      return {
        resizedWidth: rw,
        resizedHeight: rh,
        region: {
          x0: roundHalfEven((rw - size) / 2),
          y0: roundHalfEven((rh - size) / 2),
          width: size,
          height: size,
        },
        dest: { x0: 0, y0: 0 },
      };
    }
  }
}

function perChannel(values: readonly number[], channels: number, name: "mean" | "std"): number[] {
  if (values.length === 1) return Array.from({ length: channels }, () => values[0] as number);
  if (values.length === channels) return [...values];
  throw new RadzError(
    "INPUT_INVALID",
    `preprocess ${name} has ${values.length} values; expected 1 or ${channels} (one per channel)`,
  );
}

/** The 256 levels of an 8-bit image on the 0..1 scale. */
const LEVELS8 = Float32Array.from({ length: 256 }, (_, q) => q / 255);

/** round(clamp(v,0,1) * 255) / 255. */
const q8 = (v: number): number => LEVELS8[Math.round(Math.min(1, Math.max(0, v)) * 255)] as number;

/** clamp(v, 0, 1) (bicubic overshoot); NaN stays NaN, as Math.min/max leave it. */
const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** An 8-bit level for a display value: what exporting it to an 8-bit PNG keeps. */
function level8(value: number): number {
  const v = value * 255;
  // floor(v + 0.5) == Math.round(v) for v >= 0; NaN -> level 0.
  return LEVELS8[v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0] as number;
}

/** Runs a PreprocessSpec on a decoded image; returns CHW data of length channels*size*size. */
export function preprocess(
  img: Pick<DecodedImage, "rows" | "columns" | "pixels">,
  spec: PreprocessSpec,
): Float32Array {
  const { size, channels } = spec;
  if (
    !Number.isInteger(img.rows) ||
    !Number.isInteger(img.columns) ||
    img.rows < 1 ||
    img.columns < 1
  ) {
    throw new RadzError(
      "INPUT_INVALID",
      `decoded image size ${img.rows} x ${img.columns} is not valid`,
    );
  }
  const mean = perChannel(spec.mean, channels, "mean");
  const std = perChannel(spec.std, channels, "std");

  const g = fitGeometry(img.columns, img.rows, size, spec.fit);
  const resized = resample({
    pixels: spec.quantize8 ? mapPixels(img.pixels, level8) : img.pixels,
    srcWidth: img.columns,
    srcHeight: img.rows,
    outWidth: g.resizedWidth,
    outHeight: g.resizedHeight,
    region: g.region,
    filter: spec.resize,
  });

  const scale = spec.scale === "byte" ? 255 : 1;

  // Grey plane: padValue everywhere, then the resized region.
  const plane = new Float32Array(size * size);
  const { width: rw, height: rh } = g.region;
  if (spec.quantize8) {
    plane.fill(q8(spec.padValue));
    for (let y = 0; y < rh; y++) {
      const o = (g.dest.y0 + y) * size + g.dest.x0;
      const r = y * rw;
      for (let x = 0; x < rw; x++) plane[o + x] = q8(resized[r + x] as number);
    }
  } else {
    plane.fill(clamp01(spec.padValue));
    for (let y = 0; y < rh; y++) {
      const o = (g.dest.y0 + y) * size + g.dest.x0;
      const r = y * rw;
      for (let x = 0; x < rw; x++) plane[o + x] = clamp01(resized[r + x] as number);
    }
  }

  const out = new Float32Array(channels * size * size);
  const n = size * size;
  for (let c = 0; c < channels; c++) {
    const m = mean[c] as number;
    const s = std[c] as number;
    const off = c * n;
    // A channel with the same mean and std as an earlier one is the same numbers.
    const same = mean.findIndex((mc, k) => k < c && mc === m && std[k] === s);
    if (same >= 0) {
      out.copyWithin(off, same * n, same * n + n);
      continue;
    }
    for (let i = 0; i < n; i++) out[off + i] = ((plane[i] as number) * scale - m) / s;
  }
  return out;
}
