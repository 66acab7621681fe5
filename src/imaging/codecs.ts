/**
 * Frame decoders for the encapsulated transfer syntaxes, one per codec
 * package (choices and their justification: docs/imaging.md, "Codecs").
 *
 *   RLE Lossless                          rle-lossless.ts (PS3.5 Annex G)
 *   JPEG Baseline / Extended, 8-bit       libjpeg-turbo (WASM)
 *   JPEG Extended, 12-bit                 refused: no 12-bit DCT decoder is installed
 *   JPEG Lossless (Process 14, SV1)       jpeg-lossless-decoder-js
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
 *  - DCT JPEG: libjpeg-turbo converts YCbCr to RGB, so colour comes back RGB;
 *  - JPEG 2000 / HTJ2K: the codec undoes the RCT/ICT component transform, so
 *    YBR_RCT / YBR_ICT come back RGB (anything else as the dataset says);
 *  - JPEG-LS: interleave mode none gives colour-by-plane;
 *  - RLE: always colour-by-plane.
 * Any codec failure is DICOM_CODEC_ERROR naming the codec and the frame
 * number, never pixel values.
 */
import { RadzError } from "../errors.js";
import {
  jpegLosslessDecoder,
  wasmCodecs,
  type WasmCodecs,
  type WasmDecoder,
  type WasmFrameInfo,
} from "./codec-modules.js";
import { readJ2kSize, readJpegFrameHeader, type CodestreamHeader } from "./codestream-header.js";
import { encapsulatedFrame } from "./encapsulated.js";
import type { DecodedFrameBytes, FrameDecoder, FrameRequest } from "./frame-request.js";
import { CODEC_ONLY_PHOTOMETRICS, nativeFrameBytes, Photometric } from "./pixel-module.js";
import { decodeRleFrame } from "./rle-lossless.js";
import { TransferSyntaxUid, describeTransferSyntax } from "./transfer-syntax.js";

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

/** Copy in, decode, copy out, always delete the decoder. */
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
    const bytes = decoder.getDecodedBuffer().slice();
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

/** JPEG Baseline (Process 1) and JPEG Extended (Process 2 & 4), through libjpeg-turbo. */
export const jpegDctDecoder: FrameDecoder = {
  name: "libjpeg-turbo",
  decode(req: FrameRequest): DecodedFrameBytes {
    const input = frameBytes(req);
    const sof = readJpegFrameHeader(input);
    if (sof !== undefined && sof.precision > 8) {
      throw new RadzError(
        "DICOM_UNSUPPORTED_TRANSFER_SYNTAX",
        `transfer syntax ${describeTransferSyntax(req.transferSyntaxUid)} with ${sof.precision}-bit samples cannot be decoded: no 12-bit JPEG (DCT) decoder is installed`,
        { details: { transferSyntaxUid: req.transferSyntaxUid, precision: sof.precision } },
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

/** JPEG Lossless, Process 14 (any predictor) and Process 14 SV1, through jpeg-lossless-decoder-js. */
export const jpegLosslessFrameDecoder: FrameDecoder = {
  name: "jpeg-lossless-decoder-js",
  decode(req: FrameRequest): DecodedFrameBytes {
    const codec = "JPEG Lossless decoder (jpeg-lossless-decoder-js)";
    const input = frameBytes(req);
    const sof = readJpegFrameHeader(input);
    if (sof !== undefined && sof.marker !== SOF_LOSSLESS_HUFFMAN) {
      throw codecError(
        codec,
        req,
        `the codestream is not lossless Huffman JPEG (SOF marker ${markerName(sof.marker)}, expected FFC3)`,
      );
    }
    checkedHeader(codec, req, sof, "JPEG frame (SOF)");
    if (req.pixel.samplesPerPixel === 3 && req.pixel.bitsAllocated === 16) {
      throw new RadzError(
        "DICOM_UNSUPPORTED_PIXEL_FORMAT",
        "JPEG Lossless colour images with Bits Allocated 16 are not supported by the JPEG Lossless decoder",
      );
    }
    const decoder = jpegLosslessDecoder();
    let decoded: Uint8Array | Uint16Array;
    try {
      const copy = input.slice();
      decoded = decoder.decode(copy.buffer, 0, copy.byteLength, req.pixel.bitsAllocated / 8);
    } catch (err) {
      throw codecError(codec, req, `decoding failed (${errorText(err)})`);
    }
    // The decoder reads past the end of a cut-short stream (as zeros) instead of failing.
    const stream = decoder.stream;
    if (stream !== null && stream.index > stream.buffer.byteLength) {
      throw codecError(codec, req, "the codestream ended before the image was complete");
    }
    if (decoder.yLoc < decoder.yDim) {
      throw codecError(codec, req, `only ${decoder.yLoc} of ${decoder.yDim} rows were decoded`);
    }
    const bytes = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
    return {
      bytes: samplesFor(
        codec,
        req,
        {
          width: decoder.frame.dimX,
          height: decoder.frame.dimY,
          componentCount: decoder.frame.numComp,
          bitsPerSample: decoder.frame.precision,
        },
        bytes,
      ),
    };
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

/** RLE Lossless (PS3.5 Annex G). */
export const rleDecoder: FrameDecoder = {
  name: "RLE Lossless",
  decode(req: FrameRequest): DecodedFrameBytes {
    let bytes: Uint8Array;
    try {
      bytes = decodeRleFrame(frameBytes(req), req.pixel);
    } catch (err) {
      if (err instanceof RadzError && err.code === "DICOM_CODEC_ERROR") {
        throw codecError("RLE Lossless", req, err.message.replace(/^RLE Lossless: /, ""));
      }
      throw err;
    }
    return req.pixel.samplesPerPixel === 3 ? { bytes, planarConfiguration: 1 } : { bytes };
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
