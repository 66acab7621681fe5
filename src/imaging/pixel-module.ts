/**
 * Image Pixel Module attributes (PS3.3 C.7.6.3), read and checked once.
 * Anything imaging/ cannot represent is a DICOM_UNSUPPORTED_PIXEL_FORMAT
 * error naming the attribute, and its value only when that is a Defined Term
 * (dicom/defined-terms.ts).
 */
import { RadzError } from "../errors.js";
import { getNumber, getString, type NaturalizedDataset } from "./dataset.js";
import { codedLabel, tagLabel } from "../dicom/index.js";

export const Photometric = {
  Monochrome1: "MONOCHROME1",
  Monochrome2: "MONOCHROME2",
  PaletteColor: "PALETTE COLOR",
  Rgb: "RGB",
  YbrFull: "YBR_FULL",
  YbrFull422: "YBR_FULL_422",
} as const;
export type Photometric = (typeof Photometric)[keyof typeof Photometric];

/**
 * Colour spaces that only occur in compressed pixel data (PS3.3 C.7.6.3.1.2);
 * accepted in the dataset of an encapsulated transfer syntax, where the codec
 * must convert them (to RGB or YBR_FULL) before the shared pipeline runs.
 */
export const CODEC_ONLY_PHOTOMETRICS: ReadonlySet<string> = new Set([
  "YBR_ICT",
  "YBR_RCT",
  "YBR_PARTIAL_420",
  "YBR_PARTIAL_422",
]);

const SINGLE_SAMPLE: ReadonlySet<string> = new Set([
  Photometric.Monochrome1,
  Photometric.Monochrome2,
  Photometric.PaletteColor,
]);
const THREE_SAMPLES: ReadonlySet<string> = new Set([
  Photometric.Rgb,
  Photometric.YbrFull,
  Photometric.YbrFull422,
]);

export interface PixelModule {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: 1 | 3;
  /** One of Photometric, or (encapsulated syntaxes only) of CODEC_ONLY_PHOTOMETRICS. */
  readonly photometricInterpretation: string;
  /** 0 = colour-by-pixel (R1 G1 B1 R2 ...), 1 = colour-by-plane. */
  readonly planarConfiguration: 0 | 1;
  readonly bitsAllocated: 8 | 16;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 0 = unsigned, 1 = two's complement. */
  readonly pixelRepresentation: 0 | 1;
  readonly numberOfFrames: number;
}

/** A pixel module whose samples the shared pipeline can render. */
export interface NativePixelModule extends PixelModule {
  readonly photometricInterpretation: Photometric;
  /**
   * The frame's 16-bit words as delivered have their two bytes swapped
   * (Explicit VR Big Endian, read in place instead of swapped into a copy).
   * Every reader looks words up through storedValueTable, which absorbs it.
   */
  readonly byteSwappedWords?: boolean;
}

export function isNativePhotometric(p: string): p is Photometric {
  return SINGLE_SAMPLE.has(p) || THREE_SAMPLES.has(p);
}

function unsupported(message: string): RadzError {
  return new RadzError("DICOM_UNSUPPORTED_PIXEL_FORMAT", message);
}

function positiveInt(ds: NaturalizedDataset, keyword: "Rows" | "Columns"): number {
  const v = getNumber(ds, keyword);
  if (v === undefined || !Number.isInteger(v) || v < 1) {
    throw unsupported(`${tagLabel(keyword)} is missing or not a positive integer`);
  }
  return v;
}

/**
 * Reads and validates the Image Pixel Module of a dataset. `encapsulated`:
 * the pixel data is compressed, so codec-only colour spaces are allowed.
 */
export function readPixelModule(
  ds: NaturalizedDataset,
  opts: { encapsulated?: boolean } = {},
): PixelModule {
  const rows = positiveInt(ds, "Rows");
  const columns = positiveInt(ds, "Columns");

  const bitsAllocated = getNumber(ds, "BitsAllocated");
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw unsupported(
      `${tagLabel("BitsAllocated")} ${bitsAllocated ?? "(absent)"} is not supported (8 or 16 only)`,
    );
  }
  const bitsStored = getNumber(ds, "BitsStored") ?? bitsAllocated;
  if (!Number.isInteger(bitsStored) || bitsStored < 1 || bitsStored > bitsAllocated) {
    throw unsupported(
      `${tagLabel("BitsStored")} ${bitsStored} is not between 1 and Bits Allocated ${bitsAllocated}`,
    );
  }
  const highBit = getNumber(ds, "HighBit") ?? bitsStored - 1;
  if (!Number.isInteger(highBit) || highBit < bitsStored - 1 || highBit > bitsAllocated - 1) {
    throw unsupported(
      `${tagLabel("HighBit")} ${highBit} does not fit Bits Stored ${bitsStored} in Bits Allocated ${bitsAllocated}`,
    );
  }
  const pr = getNumber(ds, "PixelRepresentation") ?? 0;
  if (pr !== 0 && pr !== 1)
    throw unsupported(`${tagLabel("PixelRepresentation")} ${pr} is not 0 or 1`);

  const spp = getNumber(ds, "SamplesPerPixel") ?? 1;
  if (spp !== 1 && spp !== 3) {
    throw unsupported(`${tagLabel("SamplesPerPixel")} ${spp} is not supported (1 or 3 only)`);
  }
  const photometric =
    getString(ds, "PhotometricInterpretation")?.toUpperCase() ??
    (spp === 1 ? Photometric.Monochrome2 : Photometric.Rgb);
  const expected = spp === 1 ? SINGLE_SAMPLE : THREE_SAMPLES;
  const codecOnly =
    spp === 3 && opts.encapsulated === true && CODEC_ONLY_PHOTOMETRICS.has(photometric);
  if (!expected.has(photometric) && !codecOnly) {
    const known = SINGLE_SAMPLE.has(photometric) || THREE_SAMPLES.has(photometric);
    throw unsupported(
      known
        ? `${codedLabel("PhotometricInterpretation", photometric)} does not match Samples per Pixel ${spp}`
        : `${codedLabel("PhotometricInterpretation", photometric)} is not supported in native pixel data`,
    );
  }
  const planar = spp === 3 ? (getNumber(ds, "PlanarConfiguration") ?? 0) : 0;
  if (planar !== 0 && planar !== 1) {
    throw unsupported(`${tagLabel("PlanarConfiguration")} ${planar} is not 0 or 1`);
  }
  const nf = getNumber(ds, "NumberOfFrames");
  const numberOfFrames = nf !== undefined && Number.isInteger(nf) && nf >= 1 ? nf : 1;

  return {
    rows,
    columns,
    samplesPerPixel: spp,
    photometricInterpretation: photometric,
    planarConfiguration: planar,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: pr,
    numberOfFrames,
  };
}

/** Bytes one native (uncompressed) frame occupies (PS3.5 8.1.1; YBR_FULL_422 per PS3.3 C.7.6.3.1.2). */
export function nativeFrameBytes(p: PixelModule): number {
  const samples =
    p.photometricInterpretation === Photometric.YbrFull422
      ? p.rows * p.columns * 2
      : p.rows * p.columns * p.samplesPerPixel;
  return samples * (p.bitsAllocated / 8);
}
