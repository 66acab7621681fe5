/**
 * The WebAssembly row-sum kernel against the plain JavaScript loop it
 * replaces (acc[i] += w * value, one row at a time, left to right): equal to
 * the bit for every kind of source, strip shape and column window, including
 * switching display tables between calls and strips larger than the
 * kernel's first memory page.
 */
import { expect } from "chai";
import { axisWeights, type ResizeFilter } from "../../src/imaging/resample.js";
import { resampleRows, sumRows, type RowSamples } from "../../src/imaging/row-sums.js";
import { Prng } from "../../src/synthetic/prng.js";

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

function reference(
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
  for (let k = 0; k < count; k++) {
    const w = weights[wOffset + k] as number;
    const base = (y0 + k) * columns;
    for (let x = x0; x < x1; x++) {
      const v =
        "data" in samples
          ? (samples.data[base + x] as number)
          : (samples.table[samples.words[base + x] as number] as number);
      acc[x - x0] = (acc[x - x0] as number) + w * v;
    }
  }
}

function source(
  kind: "u16" | "u8" | "f32",
  rows: number,
  columns: number,
  seed: number,
): RowSamples {
  const r = random(seed);
  const n = rows * columns;
  if (kind === "f32") return { data: Float32Array.from({ length: n }, () => r() * 2 - 0.5) };
  const bits = kind === "u16" ? 16 : 8;
  const words =
    kind === "u16"
      ? Uint16Array.from({ length: n }, () => Math.floor(r() * 65536))
      : Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  const table = Float32Array.from({ length: 1 << bits }, () => r());
  return { words, table };
}

/** The two passes as plain JavaScript, through a Float32Array between them. */
function referenceResample(
  samples: RowSamples,
  columns: number,
  wy: ReturnType<typeof axisWeights>,
  wx: ReturnType<typeof axisWeights>,
  colLo: number,
  colHi: number,
): Float32Array {
  const outH = wy.start.length;
  const outW = wx.start.length;
  const midW = colHi - colLo;
  const mid = new Float32Array(outH * midW);
  for (let j = 0; j < outH; j++) {
    const acc = new Float64Array(midW);
    reference(
      samples,
      columns,
      wy.start[j]!,
      wy.count[j]!,
      wy.weights,
      j * wy.taps,
      colLo,
      colHi,
      acc,
    );
    mid.set(acc, j * midW);
  }
  const out = new Float32Array(outW * outH);
  for (let j = 0; j < outH; j++)
    for (let i = 0; i < outW; i++) {
      let sum = 0;
      for (let k = 0; k < wx.count[i]!; k++)
        sum += wx.weights[i * wx.taps + k]! * mid[j * midW + wx.start[i]! - colLo + k]!;
      out[j * outW + i] = sum;
    }
  return out;
}

describe("imaging/row-sums", () => {
  for (const filter of ["area", "bilinear", "bicubic"] as ResizeFilter[]) {
    it(`resampleRows (${filter}): bit-identical to two JavaScript passes, down- and upscaling, any region`, () => {
      const r = random(filter.length);
      let compared = 0;
      for (let trial = 0; trial < 30; trial++) {
        const rows = 1 + Math.floor(r() * 60);
        const columns = 1 + Math.floor(r() * 60);
        const kind = (["u16", "u8", "f32"] as const)[trial % 3]!;
        const samples = source(kind, rows, columns, trial);
        const outWidth = 1 + Math.floor(r() * 40);
        const outHeight = 1 + Math.floor(r() * 40);
        const x0 = Math.floor(r() * outWidth);
        const y0 = Math.floor(r() * outHeight);
        const w = 1 + Math.floor(r() * (outWidth - x0));
        const h = 1 + Math.floor(r() * (outHeight - y0));
        const wx = axisWeights(columns, outWidth, x0, w, filter);
        const wy = axisWeights(rows, outHeight, y0, h, filter);
        let colLo = columns;
        let colHi = 0;
        for (let i = 0; i < w; i++) {
          colLo = Math.min(colLo, wx.start[i]!);
          colHi = Math.max(colHi, wx.start[i]! + wx.count[i]!);
        }
        const want = referenceResample(samples, columns, wy, wx, colLo, colHi);
        const got = resampleRows(samples, columns, wy, wx, colLo, colHi);
        expect(got.length).to.equal(w * h);
        expect([...got]).to.deep.equal([...want]);
        compared += got.length;
      }
      expect(compared).to.be.greaterThan(500);
    });
  }

  it("resampleRows refuses horizontal taps outside the given columns", () => {
    const samples = source("f32", 4, 8, 1);
    const wx = axisWeights(8, 4, 0, 4, "area");
    const wy = axisWeights(4, 2, 0, 2, "area");
    expect(() => resampleRows(samples, 8, wy, wx, 2, 8)).to.throw(RangeError, /output column 0/);
  });

  for (const kind of ["u16", "u8", "f32"] as const) {
    it(`${kind}: bit-identical to the JavaScript loop for 1..13 rows and any column window`, () => {
      const rows = 40;
      const columns = 37;
      const samples = source(kind, rows, columns, 11);
      const r = random(5);
      let compared = 0;
      for (let trial = 0; trial < 200; trial++) {
        const count = 1 + Math.floor(r() * 13);
        const y0 = Math.floor(r() * (rows - count + 1));
        const x0 = Math.floor(r() * columns);
        const x1 = x0 + 1 + Math.floor(r() * (columns - x0));
        const wOffset = Math.floor(r() * 4);
        const weights = Float64Array.from({ length: wOffset + count }, () => r() - 0.2);
        const start = Float64Array.from({ length: x1 - x0 }, () => r());
        const want = start.slice();
        const got = start.slice();
        reference(samples, columns, y0, count, weights, wOffset, x0, x1, want);
        sumRows(samples, columns, y0, count, weights, wOffset, x0, x1, got);
        expect([...got]).to.deep.equal([...want]);
        compared += want.length;
      }
      expect(compared).to.be.greaterThan(1000);
    });
  }

  it("uses each call's own display table when tables alternate", () => {
    const a = source("u16", 6, 9, 1) as { words: Uint16Array; table: Float32Array };
    const b = { words: a.words, table: a.table.map((v) => 1 - v) };
    const weights = [0.25, 0.5, 0.125, 1, 2, 3];
    for (const s of [a, b, a, b]) {
      const want = new Float64Array(9);
      const got = new Float64Array(9);
      reference(s, 9, 0, 6, weights, 0, 0, 9, want);
      sumRows(s, 9, 0, 6, weights, 0, 0, 9, got);
      expect([...got]).to.deep.equal([...want]);
    }
  });

  it("loads a whole table met first with 8-bit words when 16-bit words use it next", () => {
    const table = Float32Array.from({ length: 65536 }, (_, i) => i / 65536);
    const words8 = Uint8Array.from([1, 2, 3]);
    const words16 = Uint16Array.from([300, 40000, 65535]);
    for (const s of [
      { words: words8, table },
      { words: words16, table },
    ]) {
      const want = new Float64Array(3);
      const got = new Float64Array(3);
      reference(s, 3, 0, 1, [1], 0, 0, 3, want);
      sumRows(s, 3, 0, 1, [1], 0, 0, 3, got);
      expect([...got]).to.deep.equal([...want]);
    }
  });

  it("grows its memory for a strip larger than the first page, and stays exact", () => {
    const columns = 70_000; // 9 rows x 70,000 float32 = 2.5 MB, far over one 64 KiB page
    const samples = source("f32", 9, columns, 3);
    const weights = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((w) => w / 45);
    const want = new Float64Array(columns);
    const got = new Float64Array(columns);
    reference(samples, columns, 0, 9, weights, 0, 0, columns, want);
    sumRows(samples, columns, 0, 9, weights, 0, 0, columns, got);
    expect(got.every((v, i) => v === want[i])).to.equal(true);
    expect(got[12_345]).to.not.equal(0);
  });

  it("leaves the accumulator as it was for an empty window or no rows", () => {
    const samples = source("u8", 4, 4, 9);
    const acc = Float64Array.from([1, 2, 3, 4]);
    sumRows(samples, 4, 0, 0, [], 0, 0, 4, acc);
    sumRows(samples, 4, 0, 2, [1, 1], 0, 2, 2, acc);
    expect([...acc]).to.deep.equal([1, 2, 3, 4]);
  });

  it("refuses rows or columns outside the frame, and a table too short for the words", () => {
    const samples = source("u16", 4, 5, 2) as { words: Uint16Array; table: Float32Array };
    const acc = new Float64Array(5);
    expect(() => sumRows(samples, 5, 2, 3, [1, 1, 1], 0, 0, 5, acc)).to.throw(
      RangeError,
      /rows 2\.\.4, columns 0\.\.4 are outside the 5-column frame/,
    );
    expect(() => sumRows(samples, 5, 0, 1, [1], 0, 3, 6, acc)).to.throw(RangeError, /outside/);
    expect(() =>
      sumRows({ words: samples.words, table: new Float32Array(4096) }, 5, 0, 1, [1], 0, 0, 5, acc),
    ).to.throw(RangeError, /16-bit words needs 65536 entries, not 4096/);
  });
});
