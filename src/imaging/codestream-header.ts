/**
 * The frame header of a codestream, read before any codec runs.
 *
 * Why: a codec sizes its work and its memory from the codestream's own
 * header, not from Rows and Columns. A corrupt or hostile header could ask
 * for a 65535 x 65535 image while the dataset (already checked against
 * imaging.maxPixels) says 2048 x 2500. So the header is read here — a few
 * bytes of marker parsing, no decoding — and must agree with the dataset
 * before the codec is called.
 *
 *  - JPEG (ISO 10918-1 B.2.2) and JPEG-LS (ISO 14495-1 C.2.2): the first
 *    SOFn / SOF55 segment after SOI: precision, lines, samples per line,
 *    components.
 *  - JPEG 2000 / HTJ2K (ISO 15444-1 A.5.1): the SIZ segment right after SOC:
 *    Xsiz - XOsiz by Ysiz - YOsiz, Csiz, and Ssiz of the first component.
 */

export interface CodestreamHeader {
  /** The SOF marker (JPEG family) or 0xFF51 (SIZ, JPEG 2000 family). */
  readonly marker: number;
  readonly precision: number;
  readonly rows: number;
  readonly columns: number;
  readonly components: number;
  /** JPEG 2000 only: samples are signed. */
  readonly signed?: boolean;
}

const JPEG_LS_SOF55 = 0xfff7;

function u16(b: Uint8Array, at: number): number {
  return ((b[at] as number) << 8) | (b[at + 1] as number);
}

function u32(b: Uint8Array, at: number): number {
  return (
    (b[at] as number) * 0x1000000 +
    (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number))
  );
}

/** The first frame header (SOFn or JPEG-LS SOF55) of a JPEG codestream, or undefined. */
export function readJpegFrameHeader(bytes: Uint8Array): CodestreamHeader | undefined {
  if (bytes.byteLength < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 3 < bytes.byteLength) {
    if (bytes[i] !== 0xff) return undefined;
    let m = bytes[i + 1] as number;
    while (m === 0xff && i + 2 < bytes.byteLength) {
      i++; // fill bytes
      m = bytes[i + 1] as number;
    }
    const marker = 0xff00 | m;
    if (marker === 0xffda || marker === 0xffd9) return undefined; // SOS or EOI before any SOF
    if ((marker >= 0xffd0 && marker <= 0xffd7) || marker === 0xff01) {
      i += 2; // markers without a length
      continue;
    }
    if (i + 4 > bytes.byteLength) return undefined;
    const length = u16(bytes, i + 2);
    const isSof =
      (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) ||
      marker === JPEG_LS_SOF55;
    if (isSof) {
      if (i + 10 > bytes.byteLength) return undefined;
      return {
        marker,
        precision: bytes[i + 4] as number,
        rows: u16(bytes, i + 5),
        columns: u16(bytes, i + 7),
        components: bytes[i + 9] as number,
      };
    }
    if (length < 2) return undefined;
    i += 2 + length;
  }
  return undefined;
}

/** The SIZ segment of a JPEG 2000 codestream (SOC then SIZ), or undefined. */
export function readJ2kSize(bytes: Uint8Array): CodestreamHeader | undefined {
  // SOC FF4F, SIZ FF51, Lsiz(2) Rsiz(2) Xsiz YSiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz (4 each), Csiz(2), Ssiz...
  if (bytes.byteLength < 45 || u16(bytes, 0) !== 0xff4f || u16(bytes, 2) !== 0xff51) {
    return undefined;
  }
  const xsiz = u32(bytes, 8);
  const ysiz = u32(bytes, 12);
  const xosiz = u32(bytes, 16);
  const yosiz = u32(bytes, 20);
  const ssiz = bytes[42];
  if (xosiz > xsiz || yosiz > ysiz || ssiz === undefined) return undefined;
  return {
    marker: 0xff51,
    precision: (ssiz & 0x7f) + 1,
    signed: (ssiz & 0x80) !== 0,
    rows: ysiz - yosiz,
    columns: xsiz - xosiz,
    components: u16(bytes, 40),
  };
}
