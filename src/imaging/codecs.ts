/**
 * Frame decoders for the encapsulated transfer syntaxes, one per codec
 * package (choices and their justification: docs/imaging.md, "Codecs").
 *
 *   RLE Lossless                          dcmjs-codecs' RLE decoder (WASM), after checkRleFrame
 *   JPEG Baseline / Extended, 8-bit       libjpeg-turbo (WASM)
 *   JPEG Extended, 12-bit                 DCMTK's 12-bit IJG decoder (dcmjs-codecs, WASM)
 *   JPEG Lossless (Process 14, SV1)       DCMTK's lossless IJG decoder (dcmjs-codecs, WASM)
 *   JPEG-LS lossless / near-lossless      CharLS (WASM)
 *   JPEG 2000 lossless / lossy            OpenJPEG (WASM)
 *   HTJ2K (all three syntaxes)            OpenJPH (WASM), OpenJPEG if OpenJPH refuses
 *   Encapsulated Uncompressed             the frame's bytes as they are
 *
 * Each decoder takes the frame's compressed bytes (encapsulated.ts), runs the
 * codec, checks that what came out matches Rows, Columns and Samples per
 * Pixel, and hands back native little-endian samples of Bits Allocated bits
 * (an 8-bit codestream in a 16-bit dataset is widened). Colour output is
 * described by photometricInterpretation / planarConfiguration:
 *  - JPEG: libjpeg-turbo (and DCMTK's IJG, asked to) convert YCbCr to RGB, so
 *    colour comes back RGB, colour-by-pixel;
 *  - JPEG 2000 / HTJ2K: the codec undoes the RCT/ICT component transform, so
 *    YBR_RCT / YBR_ICT come back RGB (anything else as the dataset says);
 *  - JPEG-LS: interleave mode none gives colour-by-plane;
 *  - RLE: the layout the dataset declares (dcmjs-codecs writes it so).
 * Any codec failure is DICOM_CODEC_ERROR naming the codec and the frame
 * number, never pixel values.
 */
import { RadzError } from "../errors.js";
import {
  wasmCodecs,
  type NativeDecodedFrame,
  type NativeFrame,
  type WasmCodecs,
  type WasmDecoder,
  type WasmFrameInfo,
} from "./codec-modules.js";
import { readJ2kSize, readJpegFrameHeader, type CodestreamHeader } from "./codestream-header.js";
import { encapsulatedFrame } from "./encapsulated.js";
import { outputBytes } from "./frame-scratch.js";
import type { DecodedFrameBytes, FrameDecoder, FrameRequest } from "./frame-request.js";
import { CODEC_ONLY_PHOTOMETRICS, nativeFrameBytes, Photometric } from "./pixel-module.js";
import { TransferSyntaxUid } from "../dicom/index.js";

function codecError(codec: string, req: FrameRequest, problem: string): RadzError {
  return new RadzError("DICOM_CODEC_ERROR", `${codec}: frame ${req.frame}: ${problem}`, {
    details: { transferSyntaxUid: req.transferSyntaxUid, frame: req.frame },
  });
}

function frameBytes(req: FrameRequest): Uint8Array {
  return encapsulatedFrame(req.pixelData, req.pixel.numberOfFrames, req.frame, req.dataset);
}

function loadedCodecs(): WasmCodecs {
  const m = wasmCodecs();
  if (m === undefined) {
    throw new RadzError(
      "INTERNAL",
      "the WebAssembly codecs are not loaded: call initCodecs() once at start",
    );
  }
  return m;
}

function errorText(err: unknown): string {
  // Emscripten C++ exceptions arrive as numbers (a pointer); say so rather than print it.
  if (err instanceof Error) return `${err.constructor.name}: ${err.message}`.slice(0, 200);
  return "the codec raised an exception";
}

/** Copy in, decode, copy out (into the request's scratch when it has one), always delete the decoder. */
function runWasm<D extends WasmDecoder, X>(
  codec: string,
  req: FrameRequest,
  decoder: D,
  input: Uint8Array,
  extra: (d: D) => X,
): { bytes: Uint8Array; info: WasmFrameInfo; extra: X } {
  try {
    decoder.getEncodedBuffer(input.byteLength).set(input);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const x = extra(decoder);
    const decoded = decoder.getDecodedBuffer();
    const bytes = outputBytes(req.scratch, decoded.byteLength);
    bytes.set(decoded);
    return { bytes, info, extra: x };
  } catch (err) {
    throw codecError(codec, req, `decoding failed (${errorText(err)})`);
  } finally {
    try {
      decoder.delete();
    } catch {
      // A decoder that failed mid-way may already be gone.
    }
  }
}

/**
 * Checks a codec's output against the Image Pixel Module and returns native
 * little-endian samples of Bits Allocated bits.
 */
function samplesFor(
  codec: string,
  req: FrameRequest,
  info: Pick<WasmFrameInfo, "width" | "height" | "componentCount" | "bitsPerSample">,
  bytes: Uint8Array,
): Uint8Array {
  const p = req.pixel;
  if (info.width !== p.columns || info.height !== p.rows) {
    throw codecError(
      codec,
      req,
      `the codestream is ${info.width} x ${info.height} but Columns x Rows is ${p.columns} x ${p.rows}`,
    );
  }
  if (info.componentCount !== p.samplesPerPixel) {
    throw codecError(
      codec,
      req,
      `the codestream has ${info.componentCount} component(s) but Samples per Pixel is ${p.samplesPerPixel}`,
    );
  }
  if (!(info.bitsPerSample >= 1 && info.bitsPerSample <= 16)) {
    throw codecError(codec, req, `${info.bitsPerSample} bits per sample is not 1..16`);
  }
  const codecBytes = info.bitsPerSample <= 8 ? 1 : 2;
  const samples = p.rows * p.columns * p.samplesPerPixel;
  if (bytes.byteLength < samples * codecBytes) {
    throw codecError(
      codec,
      req,
      `decoded ${bytes.byteLength} bytes; ${samples * codecBytes} are needed`,
    );
  }
  const allocated = p.bitsAllocated / 8;
  if (codecBytes === allocated) return bytes.subarray(0, samples * codecBytes);
  if (codecBytes === 1 && allocated === 2) {
    const out = new Uint8Array(samples * 2);
    for (let i = 0; i < samples; i++) out[2 * i] = bytes[i] as number;
    return out;
  }
  throw codecError(
    codec,
    req,
    `the codestream has ${info.bitsPerSample}-bit samples but Bits Allocated is ${p.bitsAllocated}`,
  );
}

const SOF_LOSSLESS_HUFFMAN = 0xffc3;
const SOF_JPEG_LS = 0xfff7;

/**
 * The codestream's own header must describe the image the dataset describes
 * before a codec sizes its work from it (codestream-header.ts).
 */
function checkedHeader(
  codec: string,
  req: FrameRequest,
  header: CodestreamHeader | undefined,
  what: string,
): CodestreamHeader {
  if (header === undefined) throw codecError(codec, req, `no ${what} header found`);
  const p = req.pixel;
  if (header.columns !== p.columns || header.rows !== p.rows) {
    throw codecError(
      codec,
      req,
      `the codestream is ${header.columns} x ${header.rows} but Columns x Rows is ${p.columns} x ${p.rows}`,
    );
  }
  if (header.components !== p.samplesPerPixel) {
    throw codecError(
      codec,
      req,
      `the codestream has ${header.components} component(s) but Samples per Pixel is ${p.samplesPerPixel}`,
    );
  }
  return header;
}

function markerName(marker: number): string {
  return marker.toString(16).toUpperCase();
}

// ---------------------------------------------------------------- decoders

// --------------------------------------------------------------- dcmjs-codecs

/** The frame as dcmjs-codecs' Context describes it (the dataset's Image Pixel Module). */
function nativeFrame(req: FrameRequest, input: Uint8Array): NativeFrame {
  const p = req.pixel;
  return {
    width: p.columns,
    height: p.rows,
    bitsAllocated: p.bitsAllocated,
    bitsStored: p.bitsStored,
    samplesPerPixel: p.samplesPerPixel,
    pixelRepresentation: p.pixelRepresentation,
    planarConfiguration: p.planarConfiguration,
    photometricInterpretation: p.photometricInterpretation,
    encodedBuffer: input,
  };
}

/**
 * Runs one dcmjs-codecs decoder; any exception it raises (a codec error or a
 * WebAssembly trap) becomes DICOM_CODEC_ERROR. Checks the output against the
 * Image Pixel Module: Rows x Columns x Samples per Pixel samples of
 * `bitsAllocated` bits (the dataset's, unless the caller asked for 8).
 */
function runNative(
  codec: string,
  req: FrameRequest,
  decode: (codecs: WasmCodecs) => NativeDecodedFrame,
  bitsAllocated: number = req.pixel.bitsAllocated,
): NativeDecodedFrame {
  const codecs = loadedCodecs();
  let out: NativeDecodedFrame;
  try {
    out = decode(codecs);
  } catch (err) {
    throw codecError(codec, req, `decoding failed (${errorText(err)})`);
  }
  const p = req.pixel;
  if (
    out.width !== p.columns ||
    out.height !== p.rows ||
    out.samplesPerPixel !== p.samplesPerPixel
  ) {
    throw codecError(
      codec,
      req,
      `decoded ${out.width} x ${out.height} x ${out.samplesPerPixel} samples; Columns x Rows x Samples per Pixel is ${p.columns} x ${p.rows} x ${p.samplesPerPixel}`,
    );
  }
  const need = p.rows * p.columns * p.samplesPerPixel * (bitsAllocated / 8);
  if (out.bitsAllocated !== bitsAllocated || out.decoded.byteLength < need) {
    throw codecError(
      codec,
      req,
      `decoded ${out.decoded.byteLength} bytes of ${out.bitsAllocated}-bit samples; ${need} bytes of ${bitsAllocated}-bit samples are needed`,
    );
  }
  return { ...out, decoded: out.decoded.subarray(0, need) };
}

/**
 * Colour layout and colour space of a dcmjs-codecs decode. `planar`: the
 * layout of the output — the IJG decoders always write colour-by-pixel; the
 * RLE decoder writes the layout the dataset declares (and reports it).
 */
function nativeResult(
  req: FrameRequest,
  out: NativeDecodedFrame,
  planar: 0 | 1 = out.planarConfiguration === 1 ? 1 : 0,
): DecodedFrameBytes {
  if (req.pixel.samplesPerPixel !== 3) return { bytes: out.decoded };
  const rgb =
    out.photometricInterpretation === Photometric.Rgb &&
    req.pixel.photometricInterpretation !== Photometric.Rgb;
  return {
    bytes: out.decoded,
    planarConfiguration: planar,
    ...(rgb ? { photometricInterpretation: Photometric.Rgb } : {}),
  };
}

const DCMTK_JPEG = "DCMTK JPEG decoder (dcmjs-codecs)";

/**
 * IJG warnings that mean the image is incomplete or wrong: the decoder fills
 * what it could not read and carries on, so these are failures here.
 * "extraneous bytes before marker" is not among them (padding some writers
 * leave between segments; the image is complete).
 */
function corruptJpegWarning(messages: readonly string[]): string | undefined {
  return messages.find(
    (m) =>
      (m.startsWith("Corrupt JPEG data") && !m.includes("extraneous bytes")) ||
      m.startsWith("Premature end of JPEG file"),
  );
}

/** The SOFn markers dcmjs-codecs 0.0.8 takes the precision from (all but DHT C4, JPG C8, DAC CC). */
function isSofMarker(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

/**
 * Whether dcmjs-codecs 0.0.8 would never return from this codestream. Before
 * decoding, it walks the markers to the first SOFn for the precision
 * (ScanJpegDataForBitDepth); on a TEM marker (FF01) it does not move on and
 * loops for ever. This is the same walk, to find that case first.
 */
function bitDepthScanLoops(b: Uint8Array): boolean {
  let o = 0;
  while (o + 4 < b.length) {
    if (b[o] !== 0xff) return false;
    const m = b[o + 1] as number;
    if (m === 0x01) return true;
    if (isSofMarker(m)) return false;
    if (m === 0xff) o += 1;
    else if (m >= 0xd0 && m <= 0xd9) o += 2;
    else if (m === 0xc4 || m === 0xc8 || m >= 0xcc) {
      o += (((b[o + 2] as number) << 8) | (b[o + 3] as number)) + 2;
    } else if (m > 2 && m <= 0xbf) o += 2;
    else return false;
  }
  return false;
}

/**
 * Any JPEG codestream through DCMTK's IJG decoders (8-, 12- or 16-bit, chosen
 * by the SOF precision). The decoder writes samples of its own size (1 byte up
 * to 8 bits, 2 above) in rows sized by Bits Allocated, so the two must agree:
 * a codestream of more than 8 bits in an 8-bit dataset would overrun the
 * output buffer and is refused; an 8-bit one in a 16-bit dataset is decoded
 * as 8-bit and widened.
 */
function decodeJpegWithDcmtk(
  req: FrameRequest,
  input: Uint8Array,
  sof: CodestreamHeader,
): DecodedFrameBytes {
  if (bitDepthScanLoops(input)) {
    throw codecError(
      DCMTK_JPEG,
      req,
      "a TEM marker (FF01) before the frame header: the decoder would never return",
    );
  }
  const p = req.pixel;
  if (sof.precision > 8 && p.bitsAllocated !== 16) {
    throw codecError(
      DCMTK_JPEG,
      req,
      `the codestream has ${sof.precision}-bit samples but Bits Allocated is ${p.bitsAllocated}`,
    );
  }
  const widen = sof.precision <= 8 && p.bitsAllocated === 16;
  const frame: NativeFrame = widen
    ? { ...nativeFrame(req, input), bitsAllocated: 8, bitsStored: Math.min(p.bitsStored, 8) }
    : nativeFrame(req, input);
  const out = runNative(
    DCMTK_JPEG,
    req,
    (c) => c.dcmtk.decodeJpeg(frame, p.samplesPerPixel === 3, (n) => outputBytes(req.scratch, n)),
    frame.bitsAllocated,
  );
  const corrupt = corruptJpegWarning(out.messages);
  if (corrupt !== undefined) throw codecError(DCMTK_JPEG, req, corrupt.slice(0, 200));
  if (!widen) return nativeResult(req, out, 0);
  const wide = new Uint8Array(out.decoded.byteLength * 2);
  for (let i = 0; i < out.decoded.byteLength; i++) wide[2 * i] = out.decoded[i] as number;
  return nativeResult(req, { ...out, bitsAllocated: 16, decoded: wide }, 0);
}

const SOF_BASELINE = 0xffc0;
const SOF_EXTENDED_HUFFMAN = 0xffc1;

/**
 * JPEG Baseline (Process 1) and JPEG Extended (Process 2 & 4): 8-bit DCT
 * codestreams through libjpeg-turbo (as fast as DCMTK's IJG 8-bit decoder on
 * a 2048 x 2500 image and bit-identical to it: docs/imaging.md), 12-bit ones
 * (and any other SOF) through DCMTK's IJG decoders.
 */
export const jpegDctDecoder: FrameDecoder = {
  name: "libjpeg-turbo / DCMTK",
  decode(req: FrameRequest): DecodedFrameBytes {
    const input = frameBytes(req);
    const sof = readJpegFrameHeader(input);
    const eightBitDct =
      sof !== undefined &&
      sof.precision <= 8 &&
      (sof.marker === SOF_BASELINE || sof.marker === SOF_EXTENDED_HUFFMAN);
    if (!eightBitDct) {
      return decodeJpegWithDcmtk(
        req,
        input,
        checkedHeader(DCMTK_JPEG, req, sof, "JPEG frame (SOF)"),
      );
    }
    checkedHeader("libjpeg-turbo", req, sof, "JPEG frame (SOF)");
    const codecs = loadedCodecs();
    const out = runWasm(
      "libjpeg-turbo",
      req,
      new codecs.libjpegTurbo.JPEGDecoder(),
      input,
      () => undefined,
    );
    const bytes = samplesFor("libjpeg-turbo", req, out.info, out.bytes);
    return req.pixel.samplesPerPixel === 3
      ? { bytes, photometricInterpretation: Photometric.Rgb, planarConfiguration: 0 }
      : { bytes };
  },
};

/**
 * JPEG Lossless, Process 14 (any predictor) and Process 14 SV1, through
 * DCMTK's lossless IJG decoder (bit-identical to jpeg-lossless-decoder-js,
 * which it replaced, and 3 times faster: docs/imaging.md).
 */
export const jpegLosslessFrameDecoder: FrameDecoder = {
  name: "DCMTK JPEG Lossless",
  decode(req: FrameRequest): DecodedFrameBytes {
    const input = frameBytes(req);
    const sof = readJpegFrameHeader(input);
    if (sof !== undefined && sof.marker !== SOF_LOSSLESS_HUFFMAN) {
      throw codecError(
        DCMTK_JPEG,
        req,
        `the codestream is not lossless Huffman JPEG (SOF marker ${markerName(sof.marker)}, expected FFC3)`,
      );
    }
    return decodeJpegWithDcmtk(req, input, checkedHeader(DCMTK_JPEG, req, sof, "JPEG frame (SOF)"));
  },
};

/** JPEG-LS lossless and near-lossless, through CharLS. */
export const jpegLsDecoder: FrameDecoder = {
  name: "CharLS",
  decode(req: FrameRequest): DecodedFrameBytes {
    const input = frameBytes(req);
    const sof = readJpegFrameHeader(input);
    if (sof !== undefined && sof.marker !== SOF_JPEG_LS) {
      throw codecError(
        "CharLS",
        req,
        `the codestream is not JPEG-LS (SOF marker ${markerName(sof.marker)}, expected FFF7)`,
      );
    }
    checkedHeader("CharLS", req, sof, "JPEG-LS frame (SOF55)");
    const codecs = loadedCodecs();
    const out = runWasm("CharLS", req, new codecs.charls.JpegLSDecoder(), input, (d) =>
      d.getInterleaveMode(),
    );
    const bytes = samplesFor("CharLS", req, out.info, out.bytes);
    if (req.pixel.samplesPerPixel !== 3) return { bytes };
    return { bytes, planarConfiguration: out.extra === 0 ? 1 : 0 };
  },
};

function j2kPhotometric(req: FrameRequest): DecodedFrameBytes["photometricInterpretation"] {
  return CODEC_ONLY_PHOTOMETRICS.has(req.pixel.photometricInterpretation)
    ? Photometric.Rgb
    : undefined;
}

function j2kResult(req: FrameRequest, bytes: Uint8Array): DecodedFrameBytes {
  if (req.pixel.samplesPerPixel !== 3) return { bytes };
  const photometric = j2kPhotometric(req);
  return {
    bytes,
    planarConfiguration: 0,
    ...(photometric === undefined ? {} : { photometricInterpretation: photometric }),
  };
}

/**
 * Sample formats the JPEG 2000 builds get wrong, refused rather than decoded
 * into wrong values (found by test/imaging/codecs.test.ts): the OpenJPEG
 * build clamps signed samples of 8 bits or fewer to 0..255, and neither
 * build returns correct colour samples of more than 8 bits.
 */
function refuseUnverifiedJ2k(codec: string, info: WasmFrameInfo): void {
  if (info.isSigned === true && info.bitsPerSample <= 8) {
    throw new RadzError(
      "DICOM_UNSUPPORTED_PIXEL_FORMAT",
      `${codec}: signed JPEG 2000 samples of ${info.bitsPerSample} bits are not supported`,
    );
  }
  if (info.componentCount > 1 && info.bitsPerSample > 8) {
    throw new RadzError(
      "DICOM_UNSUPPORTED_PIXEL_FORMAT",
      `${codec}: JPEG 2000 colour samples of ${info.bitsPerSample} bits are not supported (8 at most)`,
    );
  }
}

function decodeWithOpenJpeg(req: FrameRequest, input: Uint8Array): Uint8Array {
  checkedHeader("OpenJPEG", req, readJ2kSize(input), "JPEG 2000 size (SIZ)");
  const codecs = loadedCodecs();
  const out = runWasm("OpenJPEG", req, new codecs.openjpeg.J2KDecoder(), input, () => undefined);
  const bytes = samplesFor("OpenJPEG", req, out.info, out.bytes);
  refuseUnverifiedJ2k("OpenJPEG", out.info);
  return bytes;
}

/** JPEG 2000 Part 1 (lossless only, and lossless or lossy), through OpenJPEG. */
export const jpeg2000Decoder: FrameDecoder = {
  name: "OpenJPEG",
  decode(req: FrameRequest): DecodedFrameBytes {
    return j2kResult(req, decodeWithOpenJpeg(req, frameBytes(req)));
  },
};

/**
 * HTJ2K (Part 15), through OpenJPH. OpenJPH decodes HT code-blocks only; a
 * codestream it refuses (for instance one with Part 1 code-blocks, which the
 * HTJ2K syntaxes allow) is decoded by OpenJPEG, which reads both.
 */
export const htj2kDecoder: FrameDecoder = {
  name: "OpenJPH",
  decode(req: FrameRequest): DecodedFrameBytes {
    const codecs = loadedCodecs();
    const input = frameBytes(req);
    checkedHeader("OpenJPH", req, readJ2kSize(input), "JPEG 2000 size (SIZ)");
    let first: RadzError;
    try {
      const out = runWasm(
        "OpenJPH",
        req,
        new codecs.openjph.HTJ2KDecoder(),
        input,
        () => undefined,
      );
      const bytes = samplesFor("OpenJPH", req, out.info, out.bytes);
      refuseUnverifiedJ2k("OpenJPH", out.info);
      return j2kResult(req, bytes);
    } catch (err) {
      if (!(err instanceof RadzError) || err.code !== "DICOM_CODEC_ERROR") throw err;
      first = err;
    }
    try {
      return j2kResult(req, decodeWithOpenJpeg(req, input));
    } catch (err) {
      if (!(err instanceof RadzError) || err.code !== "DICOM_CODEC_ERROR") throw err;
      throw codecError("OpenJPH and OpenJPEG", req, `${first.message}; ${err.message}`);
    }
  },
};

const RLE_HEADER_BYTES = 64;
const RLE_CODEC = "RLE Lossless (dcmjs-codecs)";

/**
 * Checks an RLE frame before dcmjs-codecs decodes it (PS3.5 G.5, G.3.1). The
 * package's decoder trusts the header — it reads 15 offsets whatever the
 * frame's length and follows them anywhere in WebAssembly memory — and it
 * leaves a segment that ends early as zeros. So, without decoding: the
 * header must be there, declare one segment per byte of each sample, and
 * point inside the frame in order; and each segment's PackBits runs
 * (n + 1 literal bytes for a header byte n < 128, one byte repeated 257 - n
 * times for n > 128, 128 a no-op) must add up to exactly Rows x Columns
 * bytes without running past the segment's end (a trailing pad byte is
 * allowed). Exactly, because dcmjs-codecs 0.0.8 checks a replicate run
 * against the end of its output one byte short and would write one byte past
 * its buffer.
 */
function checkRleFrame(req: FrameRequest, input: Uint8Array): void {
  const fail = (problem: string): never => {
    throw codecError(RLE_CODEC, req, problem);
  };
  if (input.byteLength < RLE_HEADER_BYTES) {
    fail(`the frame has ${input.byteLength} bytes, less than the 64-byte RLE header`);
  }
  const view = new DataView(input.buffer, input.byteOffset, RLE_HEADER_BYTES);
  const segments = view.getUint32(0, true);
  const p = req.pixel;
  const expected = p.samplesPerPixel * (p.bitsAllocated / 8);
  if (segments !== expected) {
    fail(
      `the header declares ${segments} segments; ${p.samplesPerPixel} sample(s) of ${p.bitsAllocated} bits need ${expected}`,
    );
  }
  const pixels = p.rows * p.columns;
  for (let s = 0; s < segments; s++) {
    const from = view.getUint32(4 + 4 * s, true);
    const to = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : input.byteLength;
    if (from < RLE_HEADER_BYTES || to > input.byteLength || to < from) {
      fail(`segment ${s + 1} has an offset outside the frame`);
    }
    let i = from;
    let n = 0;
    while (i < to && n < pixels) {
      const h = input[i++] as number;
      if (h < 128) {
        if (i + h + 1 > to) fail(`segment ${s + 1}: a literal run goes past the segment's end`);
        i += h + 1;
        n += h + 1;
      } else if (h > 128) {
        if (i >= to) fail(`segment ${s + 1}: a replicate run has no byte to repeat`);
        i++;
        n += 257 - h;
      }
    }
    if (n !== pixels) {
      fail(`segment ${s + 1} decodes to ${n} bytes; ${pixels} are needed`);
    }
  }
}

/** RLE Lossless (PS3.5 Annex G), through dcmjs-codecs' RLE decoder, after checkRleFrame. */
export const rleDecoder: FrameDecoder = {
  name: "RLE Lossless (dcmjs-codecs)",
  decode(req: FrameRequest): DecodedFrameBytes {
    const input = frameBytes(req);
    checkRleFrame(req, input);
    const out = runNative(RLE_CODEC, req, (c) =>
      c.dcmtk.decodeRle(nativeFrame(req, input), (n) => outputBytes(req.scratch, n)),
    );
    return nativeResult(req, out);
  },
};

/** Encapsulated Uncompressed Explicit VR Little Endian: each frame's fragments are its native bytes. */
export const encapsulatedUncompressedDecoder: FrameDecoder = {
  name: "encapsulated uncompressed",
  decode(req: FrameRequest): DecodedFrameBytes {
    const bytes = frameBytes(req);
    const need = nativeFrameBytes(req.pixel);
    if (bytes.byteLength < need) {
      throw new RadzError(
        "DICOM_PIXEL_DATA_TRUNCATED",
        `frame ${req.frame} has ${bytes.byteLength} bytes; ${need} are needed`,
      );
    }
    return { bytes: bytes.subarray(0, need) };
  },
};

const T = TransferSyntaxUid;

/** The encapsulated transfer syntaxes RadZ decodes, with their decoders. */
export const CODEC_FRAME_DECODERS: ReadonlyArray<readonly [string, FrameDecoder]> = [
  [T.EncapsulatedUncompressedExplicitVRLittleEndian, encapsulatedUncompressedDecoder],
  [T.RLELossless, rleDecoder],
  [T.JPEGBaseline8Bit, jpegDctDecoder],
  [T.JPEGExtended12Bit, jpegDctDecoder],
  [T.JPEGLossless, jpegLosslessFrameDecoder],
  [T.JPEGLosslessSV1, jpegLosslessFrameDecoder],
  [T.JPEGLSLossless, jpegLsDecoder],
  [T.JPEGLSNearLossless, jpegLsDecoder],
  [T.JPEG2000Lossless, jpeg2000Decoder],
  [T.JPEG2000, jpeg2000Decoder],
  [T.HTJ2KLossless, htj2kDecoder],
  [T.HTJ2KLosslessRPCL, htj2kDecoder],
  [T.HTJ2K, htj2kDecoder],
];
