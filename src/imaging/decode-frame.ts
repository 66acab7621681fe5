/**
 * decodeFrame: one frame of a parsed instance -> display values in [0,1]
 * (0 = black, i.e. MONOCHROME2 orientation after all LUTs), one per pixel.
 * Grayscale rules: grayscale.ts; colour rules: colour.ts.
 */
import { renderColour } from "./colour.js";
import { floatPixels, lookupPixels, materialise, type DisplayPixels } from "./display-pixels.js";
import type { FrameDecoderRegistry } from "./frame-decoder.js";
import type { FrameScratch } from "./frame-scratch.js";
import { renderGrayscale, type VoiSource } from "./grayscale.js";
import type { DicomInstance } from "./instance.js";
import { Photometric } from "./pixel-module.js";
import { loadRawFrame } from "./raw-frame.js";
import { transferSyntaxInfo } from "../dicom/index.js";
import type { Window } from "./voi.js";

export interface DecodedImage {
  readonly rows: number;
  readonly columns: number;
  /**
   * rows*columns display values in [0,1], row-major; 0 = black. For a
   * grayscale frame this is computed (once) when first read: the pipeline
   * reads `pixels` instead and never needs it.
   */
  readonly data: Float32Array;
  /** The same display values in their compact form (display-pixels.ts). */
  readonly pixels: DisplayPixels;
  /** The window applied (for an auto range: the equivalent LINEAR_EXACT window); null otherwise. */
  readonly window: Window | null;
  /** Where the VOI came from; "none" for colour images. */
  readonly voi: VoiSource;
  /** Photometric Interpretation of the decoded frame (after any codec conversion). */
  readonly photometric: string;
}

export interface DecodeFrameOptions {
  /** 0-based frame index (default 0). */
  frame?: number;
  /** Which Window Center/Width pair (or VOI LUT Sequence item) to use (default 0; the first when out of range). */
  windowIndex?: number;
  /** Refuse images with more than this many pixels (Rows x Columns): DICOM_IMAGE_TOO_LARGE. */
  maxPixels: number;
  /** Frame decoders (default: DEFAULT_FRAME_DECODERS; compressed syntaxes need initCodecs() first). */
  decoders?: FrameDecoderRegistry;
  /**
   * Reusable memory for the decoded samples of compressed frames
   * (frame-scratch.ts). The image returned is then valid only until the next
   * decodeFrame with the same scratch.
   */
  scratch?: FrameScratch;
}

export function decodeFrame(instance: DicomInstance, opts: DecodeFrameOptions): DecodedImage {
  const frame = opts.frame ?? 0;
  const { pixel, words } = loadRawFrame(instance, frame, {
    maxPixels: opts.maxPixels,
    ...(opts.decoders === undefined ? {} : { decoders: opts.decoders }),
    ...(opts.scratch === undefined ? {} : { scratch: opts.scratch }),
  });
  const byteOrder = transferSyntaxInfo(instance.transferSyntaxUid)?.byteOrder ?? "little";
  const base = {
    rows: pixel.rows,
    columns: pixel.columns,
    photometric: pixel.photometricInterpretation,
  };
  if (
    pixel.photometricInterpretation === Photometric.Monochrome1 ||
    pixel.photometricInterpretation === Photometric.Monochrome2
  ) {
    const g = renderGrayscale(instance.dataset, pixel, words, {
      windowIndex: opts.windowIndex ?? 0,
      byteOrder,
    });
    const pixels = lookupPixels(words, g.table, pixel.columns);
    let data: Float32Array | undefined;
    return {
      ...base,
      get data(): Float32Array {
        data ??= materialise(pixels, pixel.rows);
        return data;
      },
      pixels,
      window: g.window,
      voi: g.voi,
    };
  }
  const data = renderColour(instance.dataset, pixel, words, byteOrder);
  return {
    ...base,
    data,
    pixels: floatPixels(data, pixel.columns),
    window: null,
    voi: "none",
  };
}
