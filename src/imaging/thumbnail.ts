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
import { mapPixels, rowSamples, type DisplayPixels } from "./display-pixels.js";
import { sumRows } from "./row-sums.js";

/**
 * A display image as imaging/ decodes it (DecodedImage): values in [0, 1],
 * 0 = black, in their compact form (raw words through a display table, or
 * floats; imaging/display-pixels.ts).
 */
export interface DisplayImage {
  readonly rows: number;
  readonly columns: number;
  readonly pixels: DisplayPixels;
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
  const { rows, columns } = image;
  if (!Number.isInteger(rows) || !Number.isInteger(columns) || rows < 1 || columns < 1)
    throw new RadzError("INPUT_INVALID", "A thumbnail needs an image of at least 1x1 pixels.");
  const held =
    image.pixels.kind === "lookup" ? image.pixels.words.length : image.pixels.data.length;
  if (image.pixels.columns !== columns || held < rows * columns)
    throw new RadzError("INPUT_INVALID", "The image has fewer values than Rows x Columns.");
  if (!Number.isInteger(maxSide) || maxSide < 1)
    throw new RadzError("INPUT_INVALID", "The thumbnail's long side must be a positive integer.");

  const factor = Math.max(1, Math.ceil(Math.max(rows, columns) / maxSide));
  const outRows = Math.ceil(rows / factor);
  const outColumns = Math.ceil(columns / factor);
  // clamp to [0, 1]; NaN -> 0 (on the display table, not per pixel, for a grayscale frame)
  const pixels = mapPixels(image.pixels, (v) => (v > 0 ? (v < 1 ? v : 1) : 0));
  const samples = rowSamples(pixels);
  const ones = new Float64Array(factor).fill(1);
  const acc = new Float64Array(columns);
  const out = new Uint8Array(outRows * outColumns);
  for (let oy = 0; oy < outRows; oy++) {
    const y0 = oy * factor;
    const blockRows = Math.min(factor, rows - y0);
    acc.fill(0);
    sumRows(samples, pixels.columns, y0, blockRows, ones, 0, 0, columns, acc);
    for (let ox = 0; ox < outColumns; ox++) {
      const x0 = ox * factor;
      const x1 = Math.min(x0 + factor, columns);
      let sum = 0;
      for (let x = x0; x < x1; x++) sum += acc[x]!;
      out[oy * outColumns + ox] = Math.round((sum / (blockRows * (x1 - x0))) * 255);
    }
  }
  return { rows: outRows, columns: outColumns, data: out };
}
