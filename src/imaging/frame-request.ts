/**
 * What a frame decoder receives and returns (the registry is in
 * frame-decoder.ts, the codecs in codecs.ts; both import these types from
 * here so that neither imports the other's module for its types).
 */
import type { NaturalizedDataset } from "./dataset.js";
import type { FrameScratch } from "./frame-scratch.js";
import type { Photometric, PixelModule } from "./pixel-module.js";
import type { ByteOrder } from "../dicom/index.js";

export interface FrameRequest {
  readonly transferSyntaxUid: string;
  /** Byte order of the transfer syntax (native OW pixel data is in this order). */
  readonly byteOrder: ByteOrder;
  /**
   * Pixel Data as dcmjs gives it: one chunk for native pixel data; for
   * encapsulated syntaxes one chunk per frame (when the Basic Offset Table is
   * present) or per fragment.
   */
  readonly pixelData: readonly Uint8Array[];
  /** VR of Pixel Data (OB / OW / UN), when known. */
  readonly pixelDataVr: string | undefined;
  readonly pixel: PixelModule;
  /** 0-based frame index, already checked against Number of Frames. */
  readonly frame: number;
  /** The whole dataset, for attributes a codec needs (e.g. the Extended Offset Table). */
  readonly dataset: NaturalizedDataset;
  /** Where a codec puts its output instead of a fresh buffer (frame-scratch.ts); absent: fresh. */
  readonly scratch?: FrameScratch;
}

export interface DecodedFrameBytes {
  /** The frame's samples, little-endian unless byteSwapped, Bits Allocated each; at least nativeFrameBytes(pixel) long. */
  readonly bytes: Uint8Array;
  /** Set when decoding changed the colour space (e.g. a JPEG codec that outputs RGB). */
  readonly photometricInterpretation?: Photometric;
  /** Set when decoding changed the sample layout (codecs usually output colour-by-pixel). */
  readonly planarConfiguration?: 0 | 1;
  /**
   * The 16-bit samples are big-endian (their bytes swapped): Explicit VR Big
   * Endian Pixel Data handed over in place (NativePixelModule.byteSwappedWords).
   */
  readonly byteSwapped?: boolean;
}

export interface FrameDecoder {
  readonly name: string;
  decode(request: FrameRequest): DecodedFrameBytes;
}
