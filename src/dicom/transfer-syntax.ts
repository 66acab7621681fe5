/**
 * Transfer syntaxes (PS3.5 Section 10 and Annex A; UIDs from PS3.6 Annex A).
 *
 * This table says what a transfer syntax IS (name, byte order, encapsulated or
 * not). Whether imaging/ can DECODE it is a separate question answered by the
 * frame decoder registry (imaging/frame-decoder.ts): a codec plugs in there, keyed by
 * the same UID, without touching this table (add a row here only for a syntax
 * the table does not know yet).
 */
export const TransferSyntaxUid = {
  ImplicitVRLittleEndian: "1.2.840.10008.1.2",
  ExplicitVRLittleEndian: "1.2.840.10008.1.2.1",
  EncapsulatedUncompressedExplicitVRLittleEndian: "1.2.840.10008.1.2.1.98",
  DeflatedExplicitVRLittleEndian: "1.2.840.10008.1.2.1.99",
  ExplicitVRBigEndian: "1.2.840.10008.1.2.2",
  JPEGBaseline8Bit: "1.2.840.10008.1.2.4.50",
  JPEGExtended12Bit: "1.2.840.10008.1.2.4.51",
  JPEGLossless: "1.2.840.10008.1.2.4.57",
  JPEGLosslessSV1: "1.2.840.10008.1.2.4.70",
  JPEGLSLossless: "1.2.840.10008.1.2.4.80",
  JPEGLSNearLossless: "1.2.840.10008.1.2.4.81",
  JPEG2000Lossless: "1.2.840.10008.1.2.4.90",
  JPEG2000: "1.2.840.10008.1.2.4.91",
  JPEG2000MCLossless: "1.2.840.10008.1.2.4.92",
  JPEG2000MC: "1.2.840.10008.1.2.4.93",
  JPIPReferenced: "1.2.840.10008.1.2.4.94",
  JPIPReferencedDeflate: "1.2.840.10008.1.2.4.95",
  MPEG2MPML: "1.2.840.10008.1.2.4.100",
  MPEG2MPHL: "1.2.840.10008.1.2.4.101",
  MPEG4HP41: "1.2.840.10008.1.2.4.102",
  MPEG4HP41BD: "1.2.840.10008.1.2.4.103",
  MPEG4HP422D: "1.2.840.10008.1.2.4.104",
  MPEG4HP423D: "1.2.840.10008.1.2.4.105",
  MPEG4HP42STEREO: "1.2.840.10008.1.2.4.106",
  HEVCMP51: "1.2.840.10008.1.2.4.107",
  HEVCM10P51: "1.2.840.10008.1.2.4.108",
  JPEGXLLossless: "1.2.840.10008.1.2.4.110",
  JPEGXLJPEGRecompression: "1.2.840.10008.1.2.4.111",
  JPEGXL: "1.2.840.10008.1.2.4.112",
  HTJ2KLossless: "1.2.840.10008.1.2.4.201",
  HTJ2KLosslessRPCL: "1.2.840.10008.1.2.4.202",
  HTJ2K: "1.2.840.10008.1.2.4.203",
  RLELossless: "1.2.840.10008.1.2.5",
} as const;

export type ByteOrder = "little" | "big";

export interface TransferSyntaxInfo {
  readonly uid: string;
  /** The name PS3.6 gives it. */
  readonly name: string;
  /** Byte order of binary values (and of native OW pixel data). */
  readonly byteOrder: ByteOrder;
  /** Pixel data is in encapsulated form (PS3.5 A.4): fragments, usually compressed. */
  readonly encapsulated: boolean;
  /** The whole dataset after the file meta is deflated (PS3.5 A.5). */
  readonly deflated: boolean;
}

function row(
  uid: string,
  name: string,
  encapsulated: boolean,
  extra: { byteOrder?: ByteOrder; deflated?: boolean } = {},
): [string, TransferSyntaxInfo] {
  return [
    uid,
    Object.freeze({
      uid,
      name,
      byteOrder: extra.byteOrder ?? "little",
      encapsulated,
      deflated: extra.deflated ?? false,
    }),
  ];
}

const T = TransferSyntaxUid;

const TRANSFER_SYNTAXES: ReadonlyMap<string, TransferSyntaxInfo> = new Map([
  row(T.ImplicitVRLittleEndian, "Implicit VR Little Endian", false),
  row(T.ExplicitVRLittleEndian, "Explicit VR Little Endian", false),
  row(
    T.EncapsulatedUncompressedExplicitVRLittleEndian,
    "Encapsulated Uncompressed Explicit VR Little Endian",
    true,
  ),
  row(T.DeflatedExplicitVRLittleEndian, "Deflated Explicit VR Little Endian", false, {
    deflated: true,
  }),
  row(T.ExplicitVRBigEndian, "Explicit VR Big Endian", false, { byteOrder: "big" }),
  row(T.JPEGBaseline8Bit, "JPEG Baseline (Process 1)", true),
  row(T.JPEGExtended12Bit, "JPEG Extended (Process 2 & 4)", true),
  row(T.JPEGLossless, "JPEG Lossless, Non-Hierarchical (Process 14)", true),
  row(
    T.JPEGLosslessSV1,
    "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
    true,
  ),
  row(T.JPEGLSLossless, "JPEG-LS Lossless Image Compression", true),
  row(T.JPEGLSNearLossless, "JPEG-LS Lossy (Near-Lossless) Image Compression", true),
  row(T.JPEG2000Lossless, "JPEG 2000 Image Compression (Lossless Only)", true),
  row(T.JPEG2000, "JPEG 2000 Image Compression", true),
  row(
    T.JPEG2000MCLossless,
    "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
    true,
  ),
  row(T.JPEG2000MC, "JPEG 2000 Part 2 Multi-component Image Compression", true),
  row(T.JPIPReferenced, "JPIP Referenced", false),
  row(T.JPIPReferencedDeflate, "JPIP Referenced Deflate", false, { deflated: true }),
  row(T.MPEG2MPML, "MPEG2 Main Profile / Main Level", true),
  row(T.MPEG2MPHL, "MPEG2 Main Profile / High Level", true),
  row(T.MPEG4HP41, "MPEG-4 AVC/H.264 High Profile / Level 4.1", true),
  row(T.MPEG4HP41BD, "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", true),
  row(T.MPEG4HP422D, "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", true),
  row(T.MPEG4HP423D, "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", true),
  row(T.MPEG4HP42STEREO, "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", true),
  row(T.HEVCMP51, "HEVC/H.265 Main Profile / Level 5.1", true),
  row(T.HEVCM10P51, "HEVC/H.265 Main 10 Profile / Level 5.1", true),
  row(T.JPEGXLLossless, "JPEG XL Lossless", true),
  row(T.JPEGXLJPEGRecompression, "JPEG XL JPEG Recompression", true),
  row(T.JPEGXL, "JPEG XL", true),
  row(T.HTJ2KLossless, "High-Throughput JPEG 2000 Image Compression (Lossless Only)", true),
  row(
    T.HTJ2KLosslessRPCL,
    "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
    true,
  ),
  row(T.HTJ2K, "High-Throughput JPEG 2000 Image Compression", true),
  row(T.RLELossless, "RLE Lossless", true),
]);

/** What the table knows about a transfer syntax; undefined for an unknown UID. */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return TRANSFER_SYNTAXES.get(uid);
}

/** Human name for messages: the PS3.6 name, or "unknown transfer syntax". */
export function transferSyntaxName(uid: string): string {
  return TRANSFER_SYNTAXES.get(uid)?.name ?? "unknown transfer syntax";
}

/** "1.2.840.10008.1.2.4.50 (JPEG Baseline (Process 1))" */
export function describeTransferSyntax(uid: string): string {
  return `${uid} (${transferSyntaxName(uid)})`;
}
