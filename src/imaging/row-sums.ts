/**
 * Weighted sums of image rows, computed by a small WebAssembly kernel
 * (row-sums.wat): sumRows (acc[i] += sum over k of weights[k] * value(y0 + k, x0 + i),
 * for the thumbnail) and resampleRows (both passes of resample.ts).
 *
 * This is the hot loop of the vertical resampling pass: every pixel of a
 * frame is read once, looked up in its display table and added into the
 * accumulator (5 million times for a 2048 x 2500 radiograph). In JavaScript
 * each of those typed-array reads is bounds-checked and the loop ran at
 * about 2.5-4 ns per pixel; the same loop in WebAssembly, whose memory
 * accesses need no checks, runs at about half that, copy of the rows
 * included (docs/imaging.md, "Speed"). The additions happen in the same
 * order as the plain loop, so the sums are bit-identical to it.
 *
 * Memory: one module instance per thread, created on first use. Its memory
 * holds the display table (at most 2^16 entries, widened to float64 so the
 * kernel converts nothing per pixel), the weights, the
 * accumulator and a strip of only the `count` rows being summed, copied in
 * for each call; it grows to the largest strip seen (rows x columns x
 * sample size: tens to hundreds of kilobytes) and never holds a whole frame.
 */
import { ROW_SUMS_WASM } from "./row-sums-wasm.js";

// The WebAssembly API this module uses (the project's type libraries, ES2023
// and @types/node, do not declare it).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
};

/** sum16 / sum8: weighted rows of a strip of words, each read through the table (row-sums.wat). */
type LookupRowSum = (
  src: number,
  rowBytes: number,
  rows: number,
  table: number,
  weights: number,
  acc: number,
  n: number,
) => void;

interface RowSumsExports {
  readonly memory: WasmMemory;
  sum16: LookupRowSum;
  sum8: LookupRowSum;
  sumF32(
    src: number,
    rowBytes: number,
    rows: number,
    weights: number,
    acc: number,
    n: number,
  ): void;
  convolve(
    acc: number,
    starts: number,
    counts: number,
    weights: number,
    taps: number,
    out: number,
    outW: number,
  ): void;
}

/** Room for the largest display table: one float64 (its float32 values, widened) per 16-bit word. */
const TABLE_ENTRIES = 1 << 16;
const TABLE_BYTES = TABLE_ENTRIES * 8;
const PAGE = 65536;

let kernel: RowSumsExports | undefined;
/** The table now in the kernel's memory (tables are never modified once built). */
let loadedTable: Float32Array | undefined;
/** How many of its entries were loaded (256 for 8-bit words, 65,536 for 16-bit). */
let loadedEntries = 0;

function rowSumsKernel(): RowSumsExports {
  if (kernel === undefined) {
    const module = new WebAssembly.Module(Buffer.from(ROW_SUMS_WASM, "base64"));
    kernel = new WebAssembly.Instance(module, {}).exports as RowSumsExports;
  }
  return kernel;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Samples of a frame, row-major with `columns` per row; words are read through `table`. */
export type RowSamples =
  | { readonly words: Uint16Array | Uint8Array; readonly table: Float32Array }
  | { readonly data: Float32Array };

/** Weights for one axis of a resample: output j reads count[j] inputs from start[j] with weights[j*taps ..]. */
export interface RowWeights {
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly taps: number;
  readonly weights: Float64Array;
}

function sourceOf(samples: RowSamples): Uint16Array | Uint8Array | Float32Array {
  return "data" in samples ? samples.data : samples.words;
}

function checkSamples(samples: RowSamples): void {
  if ("words" in samples) {
    const entries = 1 << (8 * samples.words.BYTES_PER_ELEMENT);
    if (samples.table.length < entries)
      throw new RangeError(
        `a display table for ${8 * samples.words.BYTES_PER_ELEMENT}-bit words needs ${entries} entries, not ${samples.table.length}`,
      );
  }
}

function checkWindow(
  source: { length: number },
  columns: number,
  y0: number,
  count: number,
  x0: number,
  x1: number,
): void {
  if (x0 < 0 || x1 > columns || y0 < 0 || (y0 + count) * columns > source.length)
    throw new RangeError(
      `rows ${y0}..${y0 + count - 1}, columns ${x0}..${x1 - 1} are outside the ${columns}-column frame`,
    );
}

/** The kernel, its memory at least `bytes` long, and the samples' table loaded at offset 0. */
function prepared(samples: RowSamples, bytes: number): RowSumsExports {
  const k = rowSumsKernel();
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / PAGE));
  if ("words" in samples) {
    const entries = 1 << (8 * samples.words.BYTES_PER_ELEMENT);
    if (samples.table !== loadedTable || entries > loadedEntries) {
      new Float64Array(k.memory.buffer, 0, entries).set(samples.table.subarray(0, entries));
      loadedTable = samples.table;
      loadedEntries = entries;
    }
  }
  return k;
}

/** Copies rows y0 .. y0+count-1, columns x0 .. x1-1 of the source, packed, to `at`. */
function copyStrip(
  memory: ArrayBuffer,
  at: number,
  source: Uint16Array | Uint8Array | Float32Array,
  columns: number,
  y0: number,
  count: number,
  x0: number,
  x1: number,
): void {
  const n = x1 - x0;
  const strip =
    source instanceof Uint16Array
      ? new Uint16Array(memory, at, count * n)
      : source instanceof Uint8Array
        ? new Uint8Array(memory, at, count * n)
        : new Float32Array(memory, at, count * n);
  if (n === columns) strip.set(source.subarray(y0 * columns, (y0 + count) * columns));
  else
    for (let r = 0; r < count; r++) {
      const from = (y0 + r) * columns + x0;
      strip.set(source.subarray(from, from + n), r * n);
    }
}

/** acc (at accAt, n float64) += the weighted rows of the strip at stripAt. */
function sumStrip(
  k: RowSumsExports,
  source: Uint16Array | Uint8Array | Float32Array,
  stripAt: number,
  count: number,
  weightsAt: number,
  accAt: number,
  n: number,
): void {
  const rowBytes = n * source.BYTES_PER_ELEMENT;
  if (source instanceof Float32Array) k.sumF32(stripAt, rowBytes, count, weightsAt, accAt, n);
  else if (source instanceof Uint16Array) k.sum16(stripAt, rowBytes, count, 0, weightsAt, accAt, n);
  else k.sum8(stripAt, rowBytes, count, 0, weightsAt, accAt, n);
}

/**
 * acc[i] += sum over k < count of weights[wOffset + k] * value(y0 + k, x0 + i),
 * for i in [0, x1 - x0).
 */
export function sumRows(
  samples: RowSamples,
  columns: number,
  y0: number,
  count: number,
  weights: ArrayLike<number>,
  wOffset: number,
  x0: number,
  x1: number,
  acc: Float64Array,
): void {
  const n = x1 - x0;
  if (n <= 0 || count <= 0) return;
  const source = sourceOf(samples);
  checkWindow(source, columns, y0, count, x0, x1);
  checkSamples(samples);

  const weightsAt = TABLE_BYTES;
  const accAt = weightsAt + align8(count * 8);
  const stripAt = accAt + align8(n * 8);
  const k = prepared(samples, stripAt + count * n * source.BYTES_PER_ELEMENT);
  const memory = k.memory.buffer;
  const w = new Float64Array(memory, weightsAt, count);
  for (let i = 0; i < count; i++) w[i] = weights[wOffset + i] as number;
  const a = new Float64Array(memory, accAt, n);
  a.set(acc.subarray(0, n));
  copyStrip(memory, stripAt, source, columns, y0, count, x0, x1);
  sumStrip(k, source, stripAt, count, weightsAt, accAt, n);
  acc.set(a);
}

/**
 * Both passes of a separable resample (resample.ts). Output row j is: the
 * vertical weighted sum of vertical.count[j] source rows from
 * vertical.start[j], over source columns [colLo, colHi), each sum rounded to
 * float32; then, for output column i, the weighted sum of
 * horizontal.count[i] of those from column horizontal.start[i] (an absolute
 * source column). Returns outW x outH float32 values, row-major — the same
 * numbers, to the bit, as the two passes through a Float32Array in between.
 */
export function resampleRows(
  samples: RowSamples,
  columns: number,
  vertical: RowWeights,
  horizontal: RowWeights,
  colLo: number,
  colHi: number,
): Float32Array {
  const outH = vertical.start.length;
  const outW = horizontal.start.length;
  const midW = colHi - colLo;
  const out = new Float32Array(outW * outH);
  if (outH === 0 || outW === 0 || midW <= 0) return out;
  const source = sourceOf(samples);
  checkSamples(samples);
  let maxCount = 0;
  for (let j = 0; j < outH; j++) {
    const c = vertical.count[j] as number;
    checkWindow(source, columns, vertical.start[j] as number, c, colLo, colHi);
    if (c > maxCount) maxCount = c;
  }
  for (let i = 0; i < outW; i++) {
    const s = horizontal.start[i] as number;
    if (s < colLo || s + (horizontal.count[i] as number) > colHi)
      throw new RangeError(
        `output column ${i} reads outside source columns ${colLo}..${colHi - 1}`,
      );
  }

  const taps = horizontal.taps;
  const startsAt = TABLE_BYTES;
  const countsAt = startsAt + align8(outW * 4);
  const hWeightsAt = countsAt + align8(outW * 4);
  const vWeightsAt = hWeightsAt + align8(outW * taps * 8);
  const accAt = vWeightsAt + align8(maxCount * 8);
  const rowAt = accAt + align8(midW * 8);
  const stripAt = rowAt + align8(outW * 4);
  const k = prepared(samples, stripAt + maxCount * midW * source.BYTES_PER_ELEMENT);
  const memory = k.memory.buffer;
  const starts = new Int32Array(memory, startsAt, outW);
  for (let i = 0; i < outW; i++) starts[i] = (horizontal.start[i] as number) - colLo;
  new Int32Array(memory, countsAt, outW).set(horizontal.count);
  new Float64Array(memory, hWeightsAt, outW * taps).set(
    horizontal.weights.subarray(0, outW * taps),
  );
  const vWeights = new Float64Array(memory, vWeightsAt, maxCount);
  const acc = new Float64Array(memory, accAt, midW);
  const row = new Float32Array(memory, rowAt, outW);
  for (let j = 0; j < outH; j++) {
    const y0 = vertical.start[j] as number;
    const count = vertical.count[j] as number;
    vWeights.set(vertical.weights.subarray(j * vertical.taps, j * vertical.taps + count));
    acc.fill(0);
    copyStrip(memory, stripAt, source, columns, y0, count, colLo, colHi);
    sumStrip(k, source, stripAt, count, vWeightsAt, accAt, midW);
    k.convolve(accAt, startsAt, countsAt, hWeightsAt, taps, rowAt, outW);
    out.set(row, j * outW);
  }
  return out;
}
