/**
 * A decoded frame's display values, kept in the cheapest exact form.
 *
 * A grayscale frame is its raw sample words plus one table from every
 * possible word to its display value (grayscale.ts folds bit masking, the
 * Modality LUT, the VOI LUT and polarity into that table), so the values are
 * never written out as a Rows x Columns Float32 copy (20 MB and a full pass
 * for a 2048 x 2500 radiograph). The resampler and the thumbnail ask for
 * weighted sums of rows (row-sums.ts, through rowSamples), which look each word up as they go,
 * in one pass. Colour frames, converted pixel by pixel, are held as floats.
 * Either way the numbers are exactly those a materialised copy would hold.
 */
import type { RowSamples } from "./row-sums.js";

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

/** The pixels as the row-sum kernel reads them (row-sums.ts). */
export function rowSamples(p: DisplayPixels): RowSamples {
  return p.kind === "float" ? { data: p.data } : { words: p.words, table: p.table };
}
