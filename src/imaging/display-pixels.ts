/**
 * A decoded frame's display values, kept in the cheapest exact form.
 *
 * A grayscale frame is its raw sample words plus one table from every
 * possible word to its display value (grayscale.ts folds bit masking, the
 * Modality LUT, the VOI LUT and polarity into that table), so the values are
 * never written out as a Rows x Columns Float32 copy (20 MB and a full pass
 * for a 2048 x 2500 radiograph). The resampler and the thumbnail ask for
 * weighted sums of rows (accumulateRows), which look each word up as they go,
 * in one pass. Colour frames, converted pixel by pixel, are held as floats.
 * Either way the numbers are exactly those a materialised copy would hold.
 */

export type DisplayPixels =
  | {
      readonly kind: "lookup";
      readonly columns: number;
      readonly words: Uint8Array | Uint16Array;
      /** Display value of each possible word. */
      readonly table: Float32Array;
    }
  | { readonly kind: "float"; readonly columns: number; readonly data: Float32Array };

export function floatPixels(data: Float32Array, columns: number): DisplayPixels {
  return { kind: "float", columns, data };
}

export function lookupPixels(
  words: Uint8Array | Uint16Array,
  table: Float32Array,
  columns: number,
): DisplayPixels {
  return { kind: "lookup", columns, words, table };
}

/** The same pixels with f applied to every value (for a lookup, to the table only). */
export function mapPixels(p: DisplayPixels, f: (v: number) => number): DisplayPixels {
  return p.kind === "lookup" ? { ...p, table: p.table.map(f) } : { ...p, data: p.data.map(f) };
}

/** out[offset + i] = value(y, x0 + i) for i in [0, x1 - x0). */
export function readRow(
  p: DisplayPixels,
  y: number,
  x0: number,
  x1: number,
  out: Float32Array,
  offset: number,
): void {
  const base = y * p.columns;
  if (p.kind === "float") {
    out.set(p.data.subarray(base + x0, base + x1), offset);
    return;
  }
  const { words, table } = p;
  for (let x = x0; x < x1; x++) out[offset + x - x0] = table[words[base + x] as number] as number;
}

/** Every value, row-major. */
export function materialise(p: DisplayPixels, rows: number): Float32Array {
  if (p.kind === "float") return p.data.slice(0, rows * p.columns);
  const out = new Float32Array(rows * p.columns);
  for (let y = 0; y < rows; y++) readRow(p, y, 0, p.columns, out, y * p.columns);
  return out;
}

// One small function per source kind and row count, so that each stays
// monomorphic and V8 optimises it on its own (the hot loops of imaging/).

function sum4f(
  acc: Float64Array,
  d: Float32Array,
  r: number,
  stride: number,
  n: number,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
): void {
  const r1 = r + stride;
  const r2 = r1 + stride;
  const r3 = r2 + stride;
  for (let x = 0; x < n; x++) {
    acc[x] =
      (acc[x] as number) +
      w0 * (d[r + x] as number) +
      w1 * (d[r1 + x] as number) +
      w2 * (d[r2 + x] as number) +
      w3 * (d[r3 + x] as number);
  }
}
function sum1f(acc: Float64Array, d: Float32Array, r: number, n: number, w: number): void {
  for (let x = 0; x < n; x++) acc[x] = (acc[x] as number) + w * (d[r + x] as number);
}
function sum4w16(
  acc: Float64Array,
  d: Uint16Array,
  t: Float32Array,
  r: number,
  stride: number,
  n: number,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
): void {
  const r1 = r + stride;
  const r2 = r1 + stride;
  const r3 = r2 + stride;
  for (let x = 0; x < n; x++) {
    acc[x] =
      (acc[x] as number) +
      w0 * (t[d[r + x] as number] as number) +
      w1 * (t[d[r1 + x] as number] as number) +
      w2 * (t[d[r2 + x] as number] as number) +
      w3 * (t[d[r3 + x] as number] as number);
  }
}
function sum1w16(
  acc: Float64Array,
  d: Uint16Array,
  t: Float32Array,
  r: number,
  n: number,
  w: number,
): void {
  for (let x = 0; x < n; x++) acc[x] = (acc[x] as number) + w * (t[d[r + x] as number] as number);
}
function sum1w8(
  acc: Float64Array,
  d: Uint8Array,
  t: Float32Array,
  r: number,
  n: number,
  w: number,
): void {
  for (let x = 0; x < n; x++) acc[x] = (acc[x] as number) + w * (t[d[r + x] as number] as number);
}

/**
 * acc[i] += sum over k < count of weights[wOffset + k] * value(y0 + k, x0 + i),
 * for i in [0, x1 - x0): a weighted sum of `count` consecutive rows, read
 * once, four rows per sweep (a quarter of the accumulator traffic).
 */
export function accumulateRows(
  p: DisplayPixels,
  y0: number,
  count: number,
  weights: ArrayLike<number>,
  wOffset: number,
  x0: number,
  x1: number,
  acc: Float64Array,
): void {
  const stride = p.columns;
  const n = x1 - x0;
  let k = 0;
  if (p.kind === "float" || p.words instanceof Uint16Array) {
    for (; k + 3 < count; k += 4) {
      const r = (y0 + k) * stride + x0;
      const w = wOffset + k;
      const [w0, w1, w2, w3] = [weights[w], weights[w + 1], weights[w + 2], weights[w + 3]] as [
        number,
        number,
        number,
        number,
      ];
      if (p.kind === "float") sum4f(acc, p.data, r, stride, n, w0, w1, w2, w3);
      else sum4w16(acc, p.words as Uint16Array, p.table, r, stride, n, w0, w1, w2, w3);
    }
  }
  for (; k < count; k++) {
    const r = (y0 + k) * stride + x0;
    const w = weights[wOffset + k] as number;
    if (p.kind === "float") sum1f(acc, p.data, r, n, w);
    else if (p.words instanceof Uint16Array) sum1w16(acc, p.words, p.table, r, n, w);
    else sum1w8(acc, p.words, p.table, r, n, w);
  }
}
