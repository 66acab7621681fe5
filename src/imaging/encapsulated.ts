/**
 * Encapsulated Pixel Data (PS3.5 A.4) -> the bytes of one frame.
 *
 * The value of an encapsulated Pixel Data element is a sequence of items: the
 * Basic Offset Table (possibly empty), then one or more fragments. A frame
 * may span several fragments, but a fragment never holds more than one frame.
 *
 * What dcmjs hands over (FrameRequest.pixelData):
 *  - with a non-empty Basic Offset Table: one chunk per table entry, the
 *    fragments of that frame already joined (dcmjs refuses a table that does
 *    not point at item tags, which surfaces as DICOM_PARSE_ERROR);
 *  - with an empty Basic Offset Table: one chunk per fragment.
 *
 * How fragments become frames, first rule that applies:
 *  1. Number of Frames 1: all chunks joined.
 *  2. Extended Offset Table (7FE0,0001) present: its entries are byte offsets
 *     of each frame's first fragment, counted from the first fragment's item
 *     tag (PS3.3 C.7.6.3.1.8); each must land on a fragment start.
 *  3. As many chunks as frames: chunk i is frame i.
 *  4. More chunks than frames: a new frame starts at each fragment that begins
 *     with a codestream start marker (JPEG SOI FFD8, JPEG 2000 SOC+SIZ
 *     FF4F FF51) — the same rule DCMTK and pydicom use without an offset table;
 *     it must yield exactly Number of Frames frames. (RLE and uncompressed
 *     frames have no marker; the standard requires one fragment per frame
 *     for them, PS3.5 A.4.2, A.4.11.)
 * Anything else — fewer chunks than frames, a grouping that does not give
 * Number of Frames frames, an empty frame — is DICOM_ENCAPSULATION_INVALID.
 * Messages carry counts and frame numbers only.
 */
import { RadzError } from "../errors.js";
import { concatBytes, getBinary, type NaturalizedDataset } from "./dataset.js";

/** Item tag + 32-bit length in front of every fragment (PS3.5 7.5). */
const ITEM_HEADER_BYTES = 8;
/** Sanity bound on fragments per instance (a DoS guard, far above real files). */
const MAX_FRAGMENTS = 1 << 20;

function invalid(message: string): RadzError {
  return new RadzError("DICOM_ENCAPSULATION_INVALID", `encapsulated Pixel Data: ${message}`);
}

/** True when a fragment begins a JPEG (SOI) or JPEG 2000 (SOC + SIZ) codestream. */
export function startsCodestream(fragment: Uint8Array): boolean {
  if (fragment.byteLength < 2 || fragment[0] !== 0xff) return false;
  if (fragment[1] === 0xd8) return true;
  return (
    fragment.byteLength >= 4 && fragment[1] === 0x4f && fragment[2] === 0xff && fragment[3] === 0x51
  );
}

function readUint64Le(bytes: Uint8Array, at: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  return hi * 2 ** 32 + lo;
}

/** Extended Offset Table entries (64-bit unsigned, little endian, OV), or undefined when absent. */
export function extendedOffsets(ds: NaturalizedDataset): number[] | undefined {
  const chunks = getBinary(ds, "ExtendedOffsetTable");
  if (chunks === undefined) return undefined;
  const bytes = concatBytes(chunks);
  if (bytes.byteLength === 0) return undefined;
  if (bytes.byteLength % 8 !== 0) {
    throw invalid(`the Extended Offset Table has ${bytes.byteLength} bytes, not a multiple of 8`);
  }
  const out: number[] = [];
  for (let at = 0; at < bytes.byteLength; at += 8) out.push(readUint64Le(bytes, at));
  return out;
}

function groupByExtendedOffsets(
  fragments: readonly Uint8Array[],
  offsets: readonly number[],
  frames: number,
): Uint8Array[][] {
  if (offsets.length !== frames) {
    throw invalid(`the Extended Offset Table has ${offsets.length} entries for ${frames} frames`);
  }
  // Offset of each fragment's item tag, from the first fragment's item tag.
  const starts = new Map<number, number>();
  let at = 0;
  fragments.forEach((f, i) => {
    starts.set(at, i);
    at += ITEM_HEADER_BYTES + f.byteLength;
  });
  const firstFragment = offsets.map((o, frame) => {
    const index = starts.get(o);
    if (index === undefined) {
      throw invalid(`Extended Offset Table entry for frame ${frame} does not point at a fragment`);
    }
    return index;
  });
  return firstFragment.map((first, frame) => {
    const next =
      frame + 1 < firstFragment.length ? (firstFragment[frame + 1] as number) : fragments.length;
    if (next <= first)
      throw invalid(`Extended Offset Table entries are not increasing at frame ${frame}`);
    return fragments.slice(first, next);
  });
}

function groupByMarkers(fragments: readonly Uint8Array[], frames: number): Uint8Array[][] {
  const groups: Uint8Array[][] = [];
  for (const f of fragments) {
    const last = groups[groups.length - 1];
    if (last === undefined || startsCodestream(f)) groups.push([f]);
    else last.push(f);
  }
  if (groups.length !== frames) {
    throw invalid(
      `${fragments.length} fragments do not add up to ${frames} frames (found ${groups.length} codestream starts, no offset table)`,
    );
  }
  return groups;
}

/**
 * The compressed bytes of frame `frame` (0-based) of `frames`.
 * `chunks`: Pixel Data as dcmjs gives it (see the file comment).
 */
export function encapsulatedFrame(
  chunks: readonly Uint8Array[],
  frames: number,
  frame: number,
  ds: NaturalizedDataset,
): Uint8Array {
  if (chunks.length > MAX_FRAGMENTS) {
    throw new RadzError(
      "DICOM_LIMIT_EXCEEDED",
      `encapsulated Pixel Data has ${chunks.length} fragments, over the limit of ${MAX_FRAGMENTS}`,
    );
  }
  let parts: readonly Uint8Array[];
  if (frames === 1) {
    parts = chunks;
  } else {
    const eot = extendedOffsets(ds);
    if (eot !== undefined) {
      parts = groupByExtendedOffsets(chunks, eot, frames)[frame] ?? [];
    } else if (chunks.length === frames) {
      parts = [chunks[frame] as Uint8Array];
    } else if (chunks.length < frames) {
      throw invalid(`${chunks.length} fragment(s) for ${frames} frames`);
    } else {
      parts = groupByMarkers(chunks, frames)[frame] ?? [];
    }
  }
  const bytes = concatBytes(parts);
  if (bytes.byteLength === 0) throw invalid(`frame ${frame} has no bytes`);
  return bytes;
}
