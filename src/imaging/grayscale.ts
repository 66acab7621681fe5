/**
 * The grayscale pipeline, PS3.3 C.11 (Figure C.11-1 / PS3.4 N.2.1):
 *
 *   stored value -> Modality LUT -> VOI LUT -> (MONOCHROME1 / INVERSE) -> [0,1]
 *
 * Every stage is a pure function of the stored value, so the whole chain is
 * evaluated once per possible stored value (2^Bits Stored) and spread into a
 * Float32 table over every possible raw word (2^Bits Allocated <= 65536
 * entries); each pixel is then a single table lookup. Bit masking and sign
 * extension (Bits Stored / High Bit / Pixel Representation) are folded into
 * the same table.
 *
 * Stages:
 *  - Modality LUT: the Modality LUT Sequence's first item when present,
 *    else Rescale Slope / Intercept (defaults 1 / 0; a slope that is zero or
 *    not a number is taken as 1).
 *  - VOI, first that applies: Window Center / Width pair number `windowIndex`
 *    (the first pair when there are fewer) with VOI LUT Function LINEAR
 *    (default), LINEAR_EXACT or SIGMOID; else VOI LUT Sequence item
 *    `windowIndex` (first when fewer), output divided by 2^(bits per entry)-1;
 *    else, with no usable VOI at all, the image's own range: the minimum and
 *    maximum Modality LUT output over the frame's pixels, mapped linearly to
 *    0..1 (reported as the equivalent LINEAR_EXACT window). Pixels equal to
 *    Pixel Padding Value, or within Pixel Padding Value..Pixel Padding Range
 *    Limit, are left out of that range (they still get a display value).
 *    A window the standard forbids (LINEAR width < 1, other width <= 0) is
 *    treated as absent.
 *  - Polarity: MONOCHROME1, or Presentation LUT Shape INVERSE, gives 1 - y.
 *    The two are one inversion, not two: the DX IOD requires INVERSE exactly
 *    when the image is MONOCHROME1 (PS3.3 C.8.11.3 DX Image Module), both describing the
 *    same fact, so either present means "invert once".
 */
import { RadzError } from "../errors.js";
import { getItems, getNumber, getNumbers, getString, type NaturalizedDataset } from "./dataset.js";
import { lutLookup, readLut } from "./lut.js";
import { Photometric, type NativePixelModule } from "./pixel-module.js";
import { storedValueTable, wordsPresent } from "./raw-frame.js";
import { tagLabel, type ByteOrder } from "../dicom/index.js";
import {
  VoiLutFunction,
  isValidWindow,
  parseVoiLutFunction,
  windowFunction,
  type Window,
} from "./voi.js";

export type VoiSource = "window" | "voi-lut-sequence" | "auto-range" | "none";

export interface GrayscaleResult {
  /** Display value of every possible raw word (2^Bits Allocated entries): the whole chain above. */
  readonly table: Float32Array;
  readonly window: Window | null;
  readonly voi: VoiSource;
}

export interface GrayscaleOptions {
  readonly windowIndex: number;
  readonly byteOrder: ByteOrder;
}

/** US/SS ambiguity of Implicit VR: reinterpret a 16-bit value in the pixel's signedness. */
function asPixelSigned(v: number, signed: boolean): number {
  if (signed && v > 32767) return v - 65536;
  if (!signed && v < 0) return v + 65536;
  return v;
}

/** Modality LUT output for each of the given stored values. */
function modalityTable(
  ds: NaturalizedDataset,
  pixel: NativePixelModule,
  stored: Int32Array,
  byteOrder: ByteOrder,
): Float64Array {
  const out = new Float64Array(stored.length);
  const items = getItems(ds, "ModalityLUTSequence");
  const first = items[0];
  if (first !== undefined) {
    const r = readLut(first, "LUTDescriptor", "LUTData", {
      signedInput: pixel.pixelRepresentation === 1,
      byteOrder,
    });
    if (!r.ok) {
      throw new RadzError(
        "DICOM_UNSUPPORTED_PIXEL_FORMAT",
        `${tagLabel("ModalityLUTSequence")}: ${r.problem}`,
      );
    }
    for (let i = 0; i < stored.length; i++) out[i] = lutLookup(r.lut, stored[i] as number);
    return out;
  }
  let slope = getNumber(ds, "RescaleSlope") ?? 1;
  if (slope === 0) slope = 1;
  const intercept = getNumber(ds, "RescaleIntercept") ?? 0;
  for (let i = 0; i < stored.length; i++) out[i] = slope * (stored[i] as number) + intercept;
  return out;
}

function paddingTest(
  ds: NaturalizedDataset,
  pixel: NativePixelModule,
): ((s: number) => boolean) | undefined {
  const signed = pixel.pixelRepresentation === 1;
  const ppv = getNumber(ds, "PixelPaddingValue");
  if (ppv === undefined) return undefined;
  const a = asPixelSigned(ppv, signed);
  const limit = getNumber(ds, "PixelPaddingRangeLimit");
  if (limit === undefined) return (s) => s === a;
  const b = asPixelSigned(limit, signed);
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return (s) => s >= lo && s <= hi;
}

function pickWindow(ds: NaturalizedDataset, index: number): Window | undefined {
  const centers = getNumbers(ds, "WindowCenter");
  const widths = getNumbers(ds, "WindowWidth");
  const count = Math.min(centers.length, widths.length);
  if (count === 0) return undefined;
  const i = index >= 0 && index < count ? index : 0;
  const w: Window = {
    center: centers[i] as number,
    width: widths[i] as number,
    fn: parseVoiLutFunction(getString(ds, "VOILUTFunction")),
  };
  return isValidWindow(w) ? w : undefined;
}

/** The display table (values in [0,1], 0 = black) of a grayscale frame; pixels are read through it (display-rows.ts). */
export function renderGrayscale(
  ds: NaturalizedDataset,
  pixel: NativePixelModule,
  words: Uint8Array | Uint16Array,
  opts: GrayscaleOptions,
): GrayscaleResult {
  const stored = storedValueTable(pixel);
  const size = stored.length;
  const n = pixel.rows * pixel.columns;
  // Every stage after masking is a function of the stored value, so it is
  // evaluated once per stored value (2^Bits Stored: 4,096 for 12 bits, not
  // 65,536) and spread over the raw words at the end. modality[s - base] is
  // the Modality LUT output of stored value s.
  const span = 2 ** pixel.bitsStored;
  const base = pixel.pixelRepresentation === 1 ? -(span / 2) : 0;
  const values = Int32Array.from({ length: span }, (_, i) => base + i);
  const modality = modalityTable(ds, pixel, values, opts.byteOrder);

  let voiFn: (x: number) => number;
  let window: Window | null = null;
  let voi: VoiSource;

  const win = pickWindow(ds, opts.windowIndex);
  const voiItems = getItems(ds, "VOILUTSequence");
  const voiItem = voiItems[opts.windowIndex] ?? voiItems[0];
  let voiLut: ReturnType<typeof readLut> | undefined;
  if (win === undefined && voiItem !== undefined) {
    let minOut = Number.POSITIVE_INFINITY;
    for (let i = 0; i < span; i++) minOut = Math.min(minOut, modality[i] as number);
    voiLut = readLut(voiItem, "LUTDescriptor", "LUTData", {
      signedInput: minOut < 0,
      byteOrder: opts.byteOrder,
    });
  }

  if (win !== undefined) {
    window = win;
    voiFn = windowFunction(win);
    voi = "window";
  } else if (voiLut?.ok === true) {
    const lut = voiLut.lut;
    const maxOut = 2 ** lut.bits - 1;
    voiFn = (x) => Math.min(1, lutLookup(lut, x) / maxOut);
    voi = "voi-lut-sequence";
  } else {
    // No usable window or VOI LUT: stretch the frame's own Modality LUT output range.
    const seen = wordsPresent(words, n, size);
    const isPad = paddingTest(ds, pixel);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let pass = 0; pass < 2 && lo > hi; pass++) {
      // Second pass only when every pixel is padding: then use them all.
      for (let r = 0; r < size; r++) {
        if (seen[r] === 0) continue;
        const v = stored[r] as number;
        if (pass === 0 && isPad?.(v) === true) continue;
        const m = modality[v - base] as number;
        if (m < lo) lo = m;
        if (m > hi) hi = m;
      }
    }
    voi = "auto-range";
    if (hi > lo) {
      window = { center: (lo + hi) / 2, width: hi - lo, fn: VoiLutFunction.LinearExact };
      voiFn = windowFunction(window);
    } else {
      voiFn = () => 0;
    }
  }

  const invert =
    pixel.photometricInterpretation === Photometric.Monochrome1 ||
    getString(ds, "PresentationLUTShape")?.toUpperCase() === "INVERSE";

  const display = new Float32Array(span);
  for (let i = 0; i < span; i++) {
    const y = voiFn(modality[i] as number);
    display[i] = invert ? 1 - y : y;
  }
  const table = new Float32Array(size);
  for (let r = 0; r < size; r++) table[r] = display[(stored[r] as number) - base] as number;
  return { table, window, voi };
}
