/**
 * Frame decoders, keyed by transfer syntax UID.
 *
 * A frame decoder turns the Pixel Data of one frame, in whatever form the
 * transfer syntax gives it, into native little-endian sample words
 * (Bits Allocated per sample, as Explicit VR Little Endian would store them).
 * Everything after that — bit masking, LUTs, photometric rules — is shared.
 *
 * The default registry holds the native syntaxes and every codec in
 * codecs.ts (RLE, JPEG, JPEG-LS, JPEG 2000, HTJ2K). The WebAssembly codecs
 * must be loaded once with `await initCodecs()` (init-codecs.ts) before a
 * frame that needs them is decoded; decoding itself stays synchronous.
 *
 * To add or replace a codec: implement FrameDecoder and register it for its
 * UIDs with `defaultFrameDecoders().with(uid, codec)`, then pass that
 * registry to decodeFrame / readStoredValues. The registry is immutable:
 * `with` returns a new one, so there is no shared mutable state.
 */
import { RadzError } from "../errors.js";
import { CODEC_FRAME_DECODERS } from "./codecs.js";
import { concatBytes } from "./dataset.js";
import type { DecodedFrameBytes, FrameDecoder, FrameRequest } from "./frame-request.js";
import { nativeFrameBytes } from "./pixel-module.js";
import { tagLabel, TransferSyntaxUid, describeTransferSyntax } from "../dicom/index.js";

export type { FrameDecoder } from "./frame-request.js";

export class FrameDecoderRegistry {
  private readonly decoders: ReadonlyMap<string, FrameDecoder>;

  constructor(entries: Iterable<readonly [string, FrameDecoder]> = []) {
    this.decoders = new Map(entries);
  }

  /** A new registry with `decoder` handling `transferSyntaxUid` (replacing any earlier one). */
  with(transferSyntaxUid: string, decoder: FrameDecoder): FrameDecoderRegistry {
    return new FrameDecoderRegistry([...this.decoders, [transferSyntaxUid, decoder]]);
  }

  get(transferSyntaxUid: string): FrameDecoder | undefined {
    return this.decoders.get(transferSyntaxUid);
  }

  has(transferSyntaxUid: string): boolean {
    return this.decoders.has(transferSyntaxUid);
  }

  /** UIDs this registry decodes (e.g. for a WADO-RS Accept header). */
  transferSyntaxUids(): string[] {
    return [...this.decoders.keys()];
  }

  /** The decoder for a UID, or DICOM_UNSUPPORTED_TRANSFER_SYNTAX naming the UID and its name. */
  require(transferSyntaxUid: string): FrameDecoder {
    const d = this.decoders.get(transferSyntaxUid);
    if (d === undefined) {
      throw new RadzError(
        "DICOM_UNSUPPORTED_TRANSFER_SYNTAX",
        `transfer syntax ${describeTransferSyntax(transferSyntaxUid)} cannot be decoded`,
        { details: { transferSyntaxUid } },
      );
    }
    return d;
  }
}

/**
 * Native (uncompressed) pixel data: slice the frame out of the value. For
 * Explicit VR Big Endian with OW (PS3.5 7.3: OW is byte-swapped in big
 * endian, OB is not), 16-bit samples are left big-endian and marked so, and
 * 8-bit samples are swapped pairwise into a copy.
 */
export const nativeFrameDecoder: FrameDecoder = {
  name: "native",
  decode(req: FrameRequest): DecodedFrameBytes {
    const frameBytes = nativeFrameBytes(req.pixel);
    const data = concatBytes(req.pixelData);
    const start = req.frame * frameBytes;
    const end = start + frameBytes;
    if (end > data.byteLength) {
      throw new RadzError(
        "DICOM_PIXEL_DATA_TRUNCATED",
        `${tagLabel("PixelData")} has ${data.byteLength} bytes; frame ${req.frame} needs bytes ${start}..${end}`,
      );
    }
    const swap =
      req.byteOrder === "big" &&
      (req.pixelDataVr === "OW" ||
        (req.pixelDataVr === undefined && req.pixel.bitsAllocated === 16));
    if (!swap) return { bytes: data.subarray(start, end) };
    // 16-bit samples on the word grid: handed over as they are, big-endian;
    // the stored-value table absorbs the byte order (no 10 MB swapped copy).
    if (req.pixel.bitsAllocated === 16 && start % 2 === 0)
      return { bytes: data.subarray(start, end), byteSwapped: true };
    // 8-bit samples in OW: swap whole 16-bit words; align the region to the word grid of the value.
    const alignedStart = start - (start % 2);
    const alignedEnd = Math.min(data.byteLength - (data.byteLength % 2), end + (end % 2));
    // Buffer.swap16: a native in-place swap of a copy (the parsed value stays as read).
    const out = Buffer.from(data.subarray(alignedStart, alignedEnd)).swap16();
    return { bytes: out.subarray(start - alignedStart, start - alignedStart + frameBytes) };
  },
};

/** The native syntaxes (deflate is undone by the parser) and every codec in codecs.ts. */
export function defaultFrameDecoders(): FrameDecoderRegistry {
  return new FrameDecoderRegistry([
    [TransferSyntaxUid.ImplicitVRLittleEndian, nativeFrameDecoder],
    [TransferSyntaxUid.ExplicitVRLittleEndian, nativeFrameDecoder],
    [TransferSyntaxUid.ExplicitVRBigEndian, nativeFrameDecoder],
    [TransferSyntaxUid.DeflatedExplicitVRLittleEndian, nativeFrameDecoder],
    ...CODEC_FRAME_DECODERS,
  ]);
}

/** The registry decodeFrame / readStoredValues use when none is passed (immutable). */
export const DEFAULT_FRAME_DECODERS: FrameDecoderRegistry = defaultFrameDecoders();
