/**
 * Weighted sums of image rows, computed by a small WebAssembly kernel
 * (row-sums.wat): acc[i] += sum over k < count of weights[k] * value(y0 + k, x0 + i).
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
 * holds the display table (at most 2^16 float32), the weights, the
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

interface RowSumsExports {
  readonly memory: WasmMemory;
  sum16(
    src: number,
    rowBytes: number,
    rows: number,
    table: number,
    weights: number,
    acc: number,
    n: number,
  ): void;
  sum8(
    src: number,
    rowBytes: number,
    rows: number,
    table: number,
    weights: number,
    acc: number,
    n: number,
  ): void;
  sumF32(
    src: number,
    rowBytes: number,
    rows: number,
    weights: number,
    acc: number,
    n: number,
  ): void;
}

/** Room for the largest display table: one float32 per 16-bit word. */
const TABLE_ENTRIES = 1 << 16;
const TABLE_BYTES = TABLE_ENTRIES * 4;
const PAGE = 65536;

let kernel: RowSumsExports | undefined;
/** The table now in the kernel's memory (tables are never modified once built). */
let loadedTable: Float32Array | undefined;

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
  const source = "data" in samples ? samples.data : samples.words;
  const sampleBytes = source.BYTES_PER_ELEMENT;
  if (x0 < 0 || x1 > columns || y0 < 0 || (y0 + count) * columns > source.length)
    throw new RangeError(
      `rows ${y0}..${y0 + count - 1}, columns ${x0}..${x1 - 1} are outside the ${columns}-column frame`,
    );
  if ("words" in samples && samples.table.length < 1 << (8 * sampleBytes))
    throw new RangeError(
      `a display table for ${8 * sampleBytes}-bit words needs ${1 << (8 * sampleBytes)} entries, not ${samples.table.length}`,
    );

  const k = rowSumsKernel();
  const weightsAt = TABLE_BYTES;
  const accAt = weightsAt + align8(count * 8);
  const stripAt = accAt + align8(n * 8);
  const stripBytes = count * n * sampleBytes;
  const needed = stripAt + stripBytes;
  if (needed > k.memory.buffer.byteLength)
    k.memory.grow(Math.ceil((needed - k.memory.buffer.byteLength) / PAGE));
  const memory = k.memory.buffer;

  if ("words" in samples && samples.table !== loadedTable) {
    new Float32Array(memory, 0, TABLE_ENTRIES).set(
      samples.table.subarray(0, 1 << (8 * sampleBytes)),
    );
    loadedTable = samples.table;
  }
  const w = new Float64Array(memory, weightsAt, count);
  for (let i = 0; i < count; i++) w[i] = weights[wOffset + i] as number;
  const a = new Float64Array(memory, accAt, n);
  a.set(acc.subarray(0, n));

  // The strip: rows y0 .. y0+count-1, columns x0 .. x1-1, packed.
  const strip =
    source instanceof Uint16Array
      ? new Uint16Array(memory, stripAt, count * n)
      : source instanceof Uint8Array
        ? new Uint8Array(memory, stripAt, count * n)
        : new Float32Array(memory, stripAt, count * n);
  if (n === columns) strip.set(source.subarray(y0 * columns, (y0 + count) * columns));
  else
    for (let r = 0; r < count; r++) {
      const from = (y0 + r) * columns + x0;
      strip.set(source.subarray(from, from + n), r * n);
    }

  const rowBytes = n * sampleBytes;
  if (source instanceof Float32Array) k.sumF32(stripAt, rowBytes, count, weightsAt, accAt, n);
  else if (sampleBytes === 2) k.sum16(stripAt, rowBytes, count, 0, weightsAt, accAt, n);
  else k.sum8(stripAt, rowBytes, count, 0, weightsAt, accAt, n);
  acc.set(a);
}
