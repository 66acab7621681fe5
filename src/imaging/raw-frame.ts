/**
 * One frame's raw sample words, and the stored values they carry
 * (PS3.5 8.1.1: Bits Stored bits ending at High Bit, two's complement when
 * Pixel Representation is 1).
 */
import { RadzError } from "../errors.js";
import { getBinary, getVr } from "./dataset.js";
import { DEFAULT_FRAME_DECODERS, type FrameDecoderRegistry } from "./frame-decoder.js";
import type { FrameScratch } from "./frame-scratch.js";
import type { DicomInstance } from "./instance.js";
import {
  Photometric,
  isNativePhotometric,
  nativeFrameBytes,
  readPixelModule,
  type NativePixelModule,
  type PixelModule,
} from "./pixel-module.js";
import { codedLabel, tagLabel, transferSyntaxInfo } from "../dicom/index.js";

export interface FrameOptions {
  /** Refuse frames with more than this many pixels (Rows x Columns). */
  maxPixels?: number;
  /** Frame decoders to use (default: DEFAULT_FRAME_DECODERS, all built-in syntaxes). */
  decoders?: FrameDecoderRegistry;
  /** Reusable memory for a codec's output (frame-scratch.ts: what it returns lives until the next decode). */
  scratch?: FrameScratch;
}

export interface RawFrame {
  /** Pixel module, with photometric / planar configuration as the decoder delivered them. */
  readonly pixel: NativePixelModule;
  /** Raw sample words of the frame (Bits Allocated wide), in stored order. */
  readonly words: Uint8Array | Uint16Array;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function words16(bytes: Uint8Array, count: number): Uint16Array {
  if (HOST_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  }
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++)
    out[i] = (bytes[2 * i] as number) | ((bytes[2 * i + 1] as number) << 8);
  return out;
}

/** Loads the raw words of frame `frame` (0-based) of an instance. */
export function loadRawFrame(
  instance: DicomInstance,
  frame: number,
  opts: FrameOptions = {},
): RawFrame {
  const ds = instance.dataset;
  // The syntax first: a syntax RadZ cannot decode is the root cause even when
  // Pixel Data is absent (JPIP, video referenced elsewhere).
  const decoder = (opts.decoders ?? DEFAULT_FRAME_DECODERS).require(instance.transferSyntaxUid);
  const pixelData = getBinary(ds, "PixelData");
  if (pixelData === undefined || pixelData.every((c) => c.byteLength === 0)) {
    throw new RadzError("DICOM_NO_PIXEL_DATA", `the instance has no ${tagLabel("PixelData")}`);
  }
  const tsInfo = transferSyntaxInfo(instance.transferSyntaxUid);
  // A UID outside the table is only decodable through a plugged-in codec: treat it as encapsulated.
  const pixel = readPixelModule(ds, { encapsulated: tsInfo?.encapsulated ?? true });
  const maxPixels = opts.maxPixels ?? Number.POSITIVE_INFINITY;
  const pixels = pixel.rows * pixel.columns;
  if (pixels > maxPixels) {
    throw new RadzError(
      "DICOM_IMAGE_TOO_LARGE",
      `image is ${pixel.rows} x ${pixel.columns} = ${pixels} pixels, over the limit of ${maxPixels}`,
    );
  }
  if (!Number.isInteger(frame) || frame < 0 || frame >= pixel.numberOfFrames) {
    throw new RadzError(
      "INPUT_INVALID",
      `frame ${frame} requested but the instance has ${pixel.numberOfFrames} frame(s) (0-based index)`,
    );
  }
  const decoded = decoder.decode({
    transferSyntaxUid: instance.transferSyntaxUid,
    byteOrder: tsInfo?.byteOrder ?? "little",
    pixelData,
    pixelDataVr: getVr(ds, "PixelData"),
    pixel,
    frame,
    dataset: ds,
    ...(opts.scratch === undefined ? {} : { scratch: opts.scratch }),
  });
  const photometric = decoded.photometricInterpretation ?? pixel.photometricInterpretation;
  if (!isNativePhotometric(photometric)) {
    throw new RadzError(
      "DICOM_UNSUPPORTED_PIXEL_FORMAT",
      `${codedLabel("PhotometricInterpretation", photometric)} is not supported after decoding with ${decoder.name}`,
    );
  }
  if (photometric === Photometric.YbrFull422 && pixel.columns % 2 !== 0) {
    throw new RadzError(
      "DICOM_UNSUPPORTED_PIXEL_FORMAT",
      `YBR_FULL_422 needs an even number of ${tagLabel("Columns")}`,
    );
  }
  const effective: NativePixelModule = {
    ...pixel,
    photometricInterpretation: photometric,
    planarConfiguration: decoded.planarConfiguration ?? pixel.planarConfiguration,
    ...(decoded.byteSwapped === true && pixel.bitsAllocated === 16
      ? { byteSwappedWords: true }
      : {}),
  };
  const need = nativeFrameBytes(effective);
  if (decoded.bytes.byteLength < need) {
    throw new RadzError(
      "DICOM_PIXEL_DATA_TRUNCATED",
      `frame ${frame} decoded to ${decoded.bytes.byteLength} bytes; ${need} are needed`,
    );
  }
  const count = need / (pixel.bitsAllocated / 8);
  const words =
    pixel.bitsAllocated === 16 ? words16(decoded.bytes, count) : decoded.bytes.subarray(0, count);
  return { pixel: effective, words };
}

/**
 * Table from every possible raw word (2^Bits Allocated entries) to its stored
 * value: shift down to High Bit, keep Bits Stored bits, sign-extend when
 * Pixel Representation is 1 (or `signed` overrides it). For words delivered
 * byte-swapped (NativePixelModule.byteSwappedWords) entry w holds the value of
 * the word with w's bytes swapped, so every table built on it, and every
 * lookup through those, reads big-endian words correctly.
 */
export function storedValueTable(
  pixel: PixelModule & { readonly byteSwappedWords?: boolean },
  signed = pixel.pixelRepresentation === 1,
): Int32Array {
  const size = 1 << pixel.bitsAllocated;
  const shift = pixel.highBit + 1 - pixel.bitsStored;
  const mask = pixel.bitsStored >= 31 ? -1 : (1 << pixel.bitsStored) - 1;
  const signBit = 1 << (pixel.bitsStored - 1);
  const span = 1 << pixel.bitsStored;
  const table = new Int32Array(size);
  const swapped = pixel.byteSwappedWords === true && pixel.bitsAllocated === 16;
  for (let raw = 0; raw < size; raw++) {
    const word = swapped ? ((raw & 0xff) << 8) | (raw >>> 8) : raw;
    let v = (word >>> shift) & mask;
    if (signed && (v & signBit) !== 0) v -= span;
    table[raw] = v;
  }
  return table;
}

function lookup16(table: Float32Array, words: Uint16Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = table[words[i] as number] as number;
}
function lookup8(table: Float32Array, words: Uint8Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = table[words[i] as number] as number;
}

/** out[i] = table[words[i]] for the first n words (monomorphic loops for speed). */
export function applyTable(
  table: Float32Array,
  words: Uint8Array | Uint16Array,
  n: number,
): Float32Array {
  const out = new Float32Array(n);
  if (words instanceof Uint16Array) lookup16(table, words, out);
  else lookup8(table, words, out);
  return out;
}

function mark16(words: Uint16Array, n: number, seen: Uint8Array): void {
  for (let i = 0; i < n; i++) seen[words[i] as number] = 1;
}
function mark8(words: Uint8Array, n: number, seen: Uint8Array): void {
  for (let i = 0; i < n; i++) seen[words[i] as number] = 1;
}

/** Which raw words occur among the first n (a 2^Bits Allocated flag table). */
export function wordsPresent(words: Uint8Array | Uint16Array, n: number, size: number): Uint8Array {
  const seen = new Uint8Array(size);
  if (words instanceof Uint16Array) mark16(words, n, seen);
  else mark8(words, n, seen);
  return seen;
}
