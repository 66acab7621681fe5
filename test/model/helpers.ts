/**
 * Test-only stand-ins for imaging/: decode a synthetic Part-10 (uncompressed,
 * MONOCHROME2, unsigned) to a 0..1 display image through its window, and
 * preprocess to a CHW tensor as a bundle's preprocess spec says (area or
 * bilinear resize, pad/stretch fit, channels, scale, mean/std). The real
 * implementation lives in src/imaging/; this only has to be faithful for the
 * synthetic images.
 */
import type { PreprocessSpec } from "../../src/imaging/preprocess-spec.js";
import { dcmjsData } from "../../src/synthetic/dcmjs-data.js";

export interface DisplayImage {
  readonly rows: number;
  readonly columns: number;
  /** 0..1, 0 = black. */
  readonly pixels: Float32Array;
}

export function decodeSyntheticPart10(bytes: Uint8Array): DisplayImage {
  const ab = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  const dict = dcmjsData.DicomMessage.readFile(ab);
  const ds = dcmjsData.DicomMetaDictionary.naturalizeDataset(dict.dict);
  const rows = Number(ds.Rows);
  const columns = Number(ds.Columns);
  const frames = ds.PixelData as ArrayBuffer[];
  const stored = new Uint16Array(frames[0]!, 0, rows * columns);
  const c = Number(ds.WindowCenter);
  const w = Number(ds.WindowWidth);
  const slope = Number(ds.RescaleSlope ?? 1);
  const intercept = Number(ds.RescaleIntercept ?? 0);
  const pixels = new Float32Array(rows * columns);
  // PS3.3 C.11.2.1.2.1 linear VOI function, output 0..1.
  for (let i = 0; i < pixels.length; i++) {
    const x = stored[i]! * slope + intercept;
    const y = (x - (c - 0.5)) / (w - 1) + 0.5;
    pixels[i] = y <= 0 ? 0 : y >= 1 ? 1 : y;
  }
  return { rows, columns, pixels };
}

/** Weights of an area (box) resample from n source samples to m targets: per target, [start index, weights...]. */
function areaWeights(n: number, m: number): { start: Int32Array; weights: Float32Array[] } {
  const scale = n / m;
  const start = new Int32Array(m);
  const weights: Float32Array[] = [];
  for (let j = 0; j < m; j++) {
    const a = j * scale;
    const b = (j + 1) * scale;
    const i0 = Math.floor(a);
    const i1 = Math.min(n, Math.ceil(b));
    const w = new Float32Array(i1 - i0);
    for (let i = i0; i < i1; i++) w[i - i0] = (Math.min(b, i + 1) - Math.max(a, i)) / scale;
    start[j] = i0;
    weights.push(w);
  }
  return { start, weights };
}

function bilinearWeights(n: number, m: number): { start: Int32Array; weights: Float32Array[] } {
  const scale = n / m;
  const start = new Int32Array(m);
  const weights: Float32Array[] = [];
  for (let j = 0; j < m; j++) {
    const x = Math.min(n - 1, Math.max(0, (j + 0.5) * scale - 0.5));
    const i0 = Math.min(n - 2, Math.floor(x));
    const f = x - i0;
    start[j] = Math.max(0, i0);
    weights.push(n === 1 ? Float32Array.from([1]) : Float32Array.from([1 - f, f]));
  }
  return { start, weights };
}

/** Separable resize of a rows x columns image to h x w. */
function resize(
  img: DisplayImage,
  h: number,
  w: number,
  mode: PreprocessSpec["resize"],
): Float32Array {
  const weightsFor = (n: number, m: number) =>
    mode === "area" && m <= n ? areaWeights(n, m) : bilinearWeights(n, m);
  const wx = weightsFor(img.columns, w);
  const wy = weightsFor(img.rows, h);
  const tmp = new Float32Array(img.rows * w);
  for (let r = 0; r < img.rows; r++) {
    const row = r * img.columns;
    for (let j = 0; j < w; j++) {
      const s = wx.start[j]!;
      const ws = wx.weights[j]!;
      let acc = 0;
      for (let k = 0; k < ws.length; k++) acc += ws[k]! * img.pixels[row + s + k]!;
      tmp[r * w + j] = acc;
    }
  }
  const out = new Float32Array(h * w);
  for (let i = 0; i < h; i++) {
    const s = wy.start[i]!;
    const ws = wy.weights[i]!;
    for (let j = 0; j < w; j++) {
      let acc = 0;
      for (let k = 0; k < ws.length; k++) acc += ws[k]! * tmp[(s + k) * w + j]!;
      out[i * w + j] = acc;
    }
  }
  return out;
}

/** Preprocess a display image to a CHW Float32 tensor (no batch dimension). */
export function preprocessForTest(img: DisplayImage, spec: PreprocessSpec): Float32Array {
  const size = spec.size;
  let h = size;
  let w = size;
  if (spec.fit === "pad") {
    const scale = size / Math.max(img.rows, img.columns);
    h = Math.max(1, Math.round(img.rows * scale));
    w = Math.max(1, Math.round(img.columns * scale));
  } else if (spec.fit === "crop") {
    throw new Error("crop is not needed by the tests");
  }
  const resized = resize(img, h, w, spec.resize);
  const top = Math.floor((size - h) / 2);
  const left = Math.floor((size - w) / 2);
  const plane = new Float32Array(size * size).fill(spec.padValue);
  for (let i = 0; i < h; i++)
    plane.set(resized.subarray(i * w, (i + 1) * w), (top + i) * size + left);
  const out = new Float32Array(spec.channels * size * size);
  for (let ch = 0; ch < spec.channels; ch++) {
    const mean = spec.mean[Math.min(ch, spec.mean.length - 1)]!;
    const std = spec.std[Math.min(ch, spec.std.length - 1)]!;
    const base = ch * size * size;
    for (let i = 0; i < plane.length; i++) {
      let v = plane[i]!;
      if (spec.quantize8) v = Math.round(v * 255) / 255;
      if (spec.scale === "byte") v *= 255;
      out[base + i] = (v - mean) / std;
    }
  }
  return out;
}

/** Decode + preprocess in one step. */
export function tensorFromPart10(bytes: Uint8Array, spec: PreprocessSpec): Float32Array {
  return preprocessForTest(decodeSyntheticPart10(bytes), spec);
}

/** Area under the ROC curve (Mann-Whitney U, ties count half). */
export function auroc(scores: readonly number[], truth: readonly boolean[]): number {
  let pos = 0;
  let neg = 0;
  let wins = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!truth[i]) continue;
    pos++;
    for (let j = 0; j < scores.length; j++) {
      if (truth[j]) continue;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  for (const t of truth) if (!t) neg++;
  if (pos === 0 || neg === 0) return Number.NaN;
  return wins / (pos * neg);
}
