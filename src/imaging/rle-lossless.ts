/**
 * RLE Lossless (1.2.840.10008.1.2.5), PS3.5 Annex G.
 *
 * Why written here and not taken from a package: the project's rule is "no
 * hand-written codecs", but no maintained npm package that decodes DICOM RLE
 * is installed (the Cornerstone WASM codecs cover JPEG, JPEG-LS and JPEG 2000
 * only; DICOM RLE is not TIFF PackBits as generic packages implement it: it
 * adds the 64-byte segment header and the byte-plane layout). The format is
 * small and fully specified, and this decoder is checked bit for bit against
 * DCMTK (dcmcrle/dcmdrle) and GDCM (gdcmconv --rle/--raw) in
 * test/imaging/codecs.test.ts. See docs/imaging.md, "Codecs".
 *
 * Layout (G.3, G.5): a frame is one fragment that starts with a 64-byte
 * header — the number of segments (1..15) and 15 segment offsets, all
 * 32-bit little endian — followed by the segments. There is one segment per
 * byte of each sample: for Bits Allocated 16, segment 2s holds the most
 * significant and 2s+1 the least significant bytes of sample s. Each segment
 * is a PackBits byte stream (G.3.1): a header byte n (as int8) followed by
 * n+1 literal bytes (0..127), or by one byte repeated 1-n times (-127..-1);
 * -128 is a no-op. A segment decodes to Rows x Columns bytes; a trailing pad
 * byte is allowed and ignored.
 *
 * Output: native little-endian words, colour-by-plane (the byte planes are
 * per sample, so Planar Configuration 1 is the natural result).
 */
import { RadzError } from "../errors.js";

const HEADER_BYTES = 64;
const MAX_SEGMENTS = 15;

function codecError(message: string): RadzError {
  return new RadzError("DICOM_CODEC_ERROR", `RLE Lossless: ${message}`);
}

/** Decodes one PackBits segment into `out` at `start`, every `stride` bytes, `count` bytes in all. */
function unpackSegment(
  src: Uint8Array,
  from: number,
  to: number,
  out: Uint8Array,
  start: number,
  stride: number,
  count: number,
): number {
  let i = from;
  let n = 0;
  let o = start;
  while (i < to && n < count) {
    const h = src[i++] as number;
    if (h < 128) {
      // Literal run of h + 1 bytes.
      const len = Math.min(h + 1, count - n, to - i);
      for (let k = 0; k < len; k++, o += stride) out[o] = src[i + k] as number;
      i += h + 1;
      n += len;
    } else if (h > 128) {
      // Replicate run: the next byte 257 - h times.
      if (i >= to) break;
      const v = src[i++] as number;
      const len = Math.min(257 - h, count - n);
      for (let k = 0; k < len; k++, o += stride) out[o] = v;
      n += len;
    }
    // h === 128: no operation.
  }
  return n;
}

export interface RleGeometry {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: 8 | 16;
}

/** Decodes one RLE frame into native little-endian, colour-by-plane bytes. */
export function decodeRleFrame(frame: Uint8Array, g: RleGeometry): Uint8Array {
  if (frame.byteLength < HEADER_BYTES) {
    throw codecError(`the frame has ${frame.byteLength} bytes, less than the 64-byte header`);
  }
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const bytesPerSample = g.bitsAllocated / 8;
  const expected = g.samplesPerPixel * bytesPerSample;
  if (segments !== expected) {
    throw codecError(
      `the header declares ${segments} segments; ${g.samplesPerPixel} sample(s) of ${g.bitsAllocated} bits need ${expected}`,
    );
  }
  if (segments < 1 || segments > MAX_SEGMENTS)
    throw codecError(`${segments} segments is not 1..15`);
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(view.getUint32(4 + 4 * s, true));
  const pixels = g.rows * g.columns;
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const from = offsets[s] as number;
    const to = s + 1 < segments ? (offsets[s + 1] as number) : frame.byteLength;
    if (from < HEADER_BYTES || to > frame.byteLength || to < from) {
      throw codecError(`segment ${s + 1} has an offset outside the frame`);
    }
    const sample = Math.floor(s / bytesPerSample);
    // Segment order within a sample is most significant byte first; output is little endian.
    const byteInWord = bytesPerSample - 1 - (s % bytesPerSample);
    const start = sample * pixels * bytesPerSample + byteInWord;
    const got = unpackSegment(frame, from, to, out, start, bytesPerSample, pixels);
    if (got < pixels) {
      throw codecError(`segment ${s + 1} decodes to ${got} bytes; ${pixels} are needed`);
    }
  }
  return out;
}
