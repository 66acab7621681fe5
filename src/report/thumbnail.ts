/**
 * An 8-bit grey thumbnail of the image read, for the summary image.
 *
 * The pipeline keeps this (at most `maxSide` pixels on the long side, one
 * byte per pixel: 256 KiB at the default 512) instead of the whole decoded
 * Float32 frame, so holding it until the report is built costs little
 * memory. Downscaling averages whole blocks of source pixels (a box filter),
 * which keeps the image's mean brightness.
 */
import { RadzError } from "../errors.js";

/** A display image as imaging/ decodes it: row-major values in [0, 1], 0 = black. */
export interface DisplayImage {
  readonly rows: number;
  readonly columns: number;
  readonly data: Float32Array;
}

/** An 8-bit greyscale image, row-major, 0 = black. */
export interface GreyImage {
  readonly rows: number;
  readonly columns: number;
  readonly data: Uint8Array;
}

/** Default long side of the kept thumbnail, in pixels. */
export const THUMBNAIL_MAX_SIDE = 512;

/**
 * Downscales by an integer factor (the smallest that brings the long side to
 * at most `maxSide`), averaging each factor x factor block (partial blocks at
 * the right and bottom edges average the pixels they have), and maps [0, 1]
 * to 0..255. Values outside [0, 1] are clamped; NaN counts as 0.
 */
export function thumbnailOf(image: DisplayImage, maxSide = THUMBNAIL_MAX_SIDE): GreyImage {
  const { rows, columns, data } = image;
  if (!Number.isInteger(rows) || !Number.isInteger(columns) || rows < 1 || columns < 1)
    throw new RadzError("INPUT_INVALID", "A thumbnail needs an image of at least 1x1 pixels.");
  if (data.length < rows * columns)
    throw new RadzError("INPUT_INVALID", "The image has fewer values than Rows x Columns.");
  if (!Number.isInteger(maxSide) || maxSide < 1)
    throw new RadzError("INPUT_INVALID", "The thumbnail's long side must be a positive integer.");

  const factor = Math.max(1, Math.ceil(Math.max(rows, columns) / maxSide));
  const outRows = Math.ceil(rows / factor);
  const outColumns = Math.ceil(columns / factor);
  const sums = new Float64Array(outRows * outColumns);
  const counts = new Uint32Array(outRows * outColumns);
  const outColumnOf = new Uint32Array(columns);
  for (let x = 0; x < columns; x++) outColumnOf[x] = Math.floor(x / factor);
  for (let y = 0; y < rows; y++) {
    const outRow = Math.floor(y / factor) * outColumns;
    const rowStart = y * columns;
    for (let x = 0; x < columns; x++) {
      const value = data[rowStart + x]!;
      const o = outRow + outColumnOf[x]!;
      sums[o]! += value > 0 ? (value < 1 ? value : 1) : 0; // clamp; NaN -> 0
      counts[o]!++;
    }
  }
  const out = new Uint8Array(outRows * outColumns);
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.round(((sums[i] ?? 0) / (counts[i] || 1)) * 255);
  }
  return { rows: outRows, columns: outColumns, data: out };
}
