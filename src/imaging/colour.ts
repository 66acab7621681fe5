/**
 * Colour frames to one luminance channel in [0,1].
 *
 * Weights: ITU-R BT.601 luma, Y = 0.299 R + 0.587 G + 0.114 B, applied to the
 * stored (gamma-encoded) values. These are the weights of the Y component of
 * YBR_FULL (PS3.3 C.7.6.3.1.2), so an RGB image and its YBR_FULL encoding
 * give the same result, and they are what PIL's convert("L") uses, which is
 * how most training pipelines turned RGB exports into grey.
 *
 *  - RGB (Planar Configuration 0 or 1): luma of R, G, B, divided by 2^Bits Stored - 1.
 *  - YBR_FULL / YBR_FULL_422: the Y sample itself, divided by 2^Bits Stored - 1
 *    (YBR_FULL_422 native layout: Y1 Y2 Cb Cr per horizontal pixel pair).
 *  - PALETTE COLOR: luma of the Red/Green/Blue Palette Color LUT entries for
 *    each stored index, divided by 2^(bits per entry) - 1. Segmented palettes
 *    are not supported.
 *
 * The Modality and VOI LUTs do not apply to colour images (PS3.3 C.11), so
 * there is no window.
 */
import { RadzError } from "../errors.js";
import type { NaturalizedDataset } from "./dataset.js";
import { readLut } from "./lut.js";
import { Photometric, type NativePixelModule } from "./pixel-module.js";
import { applyTable, storedValueTable } from "./raw-frame.js";
import { tagLabel, type ByteOrder } from "../dicom/index.js";

export const LUMA_WEIGHTS = { r: 0.299, g: 0.587, b: 0.114 } as const;

function scaledTable(stored: Int32Array, scale: number): Float32Array {
  const t = new Float32Array(stored.length);
  for (let i = 0; i < stored.length; i++) t[i] = (stored[i] as number) * scale;
  return t;
}

function renderRgb(pixel: NativePixelModule, words: Uint8Array | Uint16Array): Float32Array {
  const stored = storedValueTable(pixel, false);
  const max = 2 ** pixel.bitsStored - 1;
  const tr = scaledTable(stored, LUMA_WEIGHTS.r / max);
  const tg = scaledTable(stored, LUMA_WEIGHTS.g / max);
  const tb = scaledTable(stored, LUMA_WEIGHTS.b / max);
  const n = pixel.rows * pixel.columns;
  const out = new Float32Array(n);
  if (pixel.planarConfiguration === 1) {
    for (let i = 0; i < n; i++) {
      out[i] =
        (tr[words[i] as number] as number) +
        (tg[words[n + i] as number] as number) +
        (tb[words[2 * n + i] as number] as number);
    }
  } else {
    for (let i = 0, w = 0; i < n; i++, w += 3) {
      out[i] =
        (tr[words[w] as number] as number) +
        (tg[words[w + 1] as number] as number) +
        (tb[words[w + 2] as number] as number);
    }
  }
  for (let i = 0; i < n; i++) out[i] = Math.min(1, out[i] as number);
  return out;
}

function renderYbr(pixel: NativePixelModule, words: Uint8Array | Uint16Array): Float32Array {
  const stored = storedValueTable(pixel, false);
  const t = scaledTable(stored, 1 / (2 ** pixel.bitsStored - 1));
  const n = pixel.rows * pixel.columns;
  const out = new Float32Array(n);
  if (pixel.photometricInterpretation === Photometric.YbrFull422) {
    for (let p = 0, w = 0; p < n; p += 2, w += 4) {
      out[p] = t[words[w] as number] as number;
      out[p + 1] = t[words[w + 1] as number] as number;
    }
  } else if (pixel.planarConfiguration === 1) {
    for (let i = 0; i < n; i++) out[i] = t[words[i] as number] as number;
  } else {
    for (let i = 0, w = 0; i < n; i++, w += 3) out[i] = t[words[w] as number] as number;
  }
  return out;
}

function renderPalette(
  ds: NaturalizedDataset,
  pixel: NativePixelModule,
  words: Uint8Array | Uint16Array,
  byteOrder: ByteOrder,
): Float32Array {
  if (ds["SegmentedRedPaletteColorLookupTableData"] !== undefined) {
    throw new RadzError(
      "DICOM_UNSUPPORTED_PIXEL_FORMAT",
      `segmented palette colour lookup tables ${tagLabel("SegmentedRedPaletteColorLookupTableData")} are not supported`,
    );
  }
  const opts = { signedInput: pixel.pixelRepresentation === 1, byteOrder };
  const channels = [
    readLut(ds, "RedPaletteColorLookupTableDescriptor", "RedPaletteColorLookupTableData", opts),
    readLut(ds, "GreenPaletteColorLookupTableDescriptor", "GreenPaletteColorLookupTableData", opts),
    readLut(ds, "BluePaletteColorLookupTableDescriptor", "BluePaletteColorLookupTableData", opts),
  ] as const;
  const luts = channels.map((c, i) => {
    if (!c.ok) {
      throw new RadzError(
        "DICOM_UNSUPPORTED_PIXEL_FORMAT",
        `palette colour LUT ${"RGB"[i]}: ${c.problem}`,
      );
    }
    return c.lut;
  });
  const stored = storedValueTable(pixel);
  const weights = [LUMA_WEIGHTS.r, LUMA_WEIGHTS.g, LUMA_WEIGHTS.b];
  const table = new Float32Array(stored.length);
  for (let raw = 0; raw < stored.length; raw++) {
    let y = 0;
    for (let c = 0; c < 3; c++) {
      const lut = luts[c];
      if (lut === undefined) continue;
      let i = (stored[raw] as number) - lut.firstMapped;
      if (i < 0) i = 0;
      else if (i >= lut.entries) i = lut.entries - 1;
      y += ((weights[c] as number) * (lut.data[i] as number)) / (2 ** lut.bits - 1);
    }
    table[raw] = Math.min(1, y);
  }
  return applyTable(table, words, pixel.rows * pixel.columns);
}

/** Luminance in [0,1] for a colour frame (RGB, YBR_FULL, YBR_FULL_422, PALETTE COLOR). */
export function renderColour(
  ds: NaturalizedDataset,
  pixel: NativePixelModule,
  words: Uint8Array | Uint16Array,
  byteOrder: ByteOrder,
): Float32Array {
  switch (pixel.photometricInterpretation) {
    case Photometric.Rgb:
      return renderRgb(pixel, words);
    case Photometric.YbrFull:
    case Photometric.YbrFull422:
      return renderYbr(pixel, words);
    case Photometric.PaletteColor:
      return renderPalette(ds, pixel, words, byteOrder);
    case Photometric.Monochrome1:
    case Photometric.Monochrome2:
      throw new RadzError("INTERNAL", "renderColour called for a grayscale image");
  }
}
