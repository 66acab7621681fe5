/**
 * Part-10 parsing: bytes -> DicomInstance (file meta + naturalized dataset).
 *
 * Every failure is a RadzError. Parse errors name tags and byte offsets only,
 * never element values (which may be PHI), and do not carry the underlying
 * dcmjs error (whose message may quote values).
 *
 * Two readers work together:
 *  - element-walker.ts walks element headers and lengths first. It catches
 *    truncation and broken lengths that dcmjs would silently paper over (a
 *    Pixel Data value cut short reads as a full-length, partly garbage
 *    buffer), and says where the file is broken.
 *  - dcmjs then decodes the values. If its strict read refuses a file that the
 *    walker found complete (typically a Specific Character Set dcmjs does not
 *    support, e.g. ISO 2022 code extensions with several values), a lenient
 *    read is used, accepted only when it returned every top-level element.
 */
import zlib from "node:zlib";
import { exactArrayBuffer } from "../bytes.js";
import { RadzError } from "../errors.js";
import { concatBytes, getString, type NaturalizedDataset } from "./dataset.js";
import { dcmjs, type DcmjsDicomDict } from "./dcmjs-binding.js";
import { formatWalkProblem, walkPart10 } from "./element-walker.js";
import {
  LONG_VRS,
  Tag,
  TransferSyntaxUid,
  tagLabel,
  transferSyntaxInfo,
  type TagKeyword,
} from "../dicom/index.js";

export interface DicomInstance {
  /** From the file meta (0002,0010). */
  readonly transferSyntaxUid: string;
  /** The dataset (file meta excluded), naturalized by dcmjs: keyword -> value. */
  readonly dataset: NaturalizedDataset;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly studyInstanceUid: string;
}

export interface ParseLimits {
  /** Refuse inputs larger than this (and deflated datasets that inflate beyond it). Default: no limit. */
  maxBytes?: number;
}

function parseError(message: string, details?: Record<string, unknown>): RadzError {
  return new RadzError(
    "DICOM_PARSE_ERROR",
    `DICOM parse failed: ${message}`,
    details ? { details } : undefined,
  );
}

function readWithDcmjs(buffer: ArrayBuffer, lenient: boolean): DcmjsDicomDict {
  return dcmjs.data.DicomMessage.readFile(buffer, {
    ignoreErrors: lenient,
    untilTag: null,
    includeUntilTagValue: false,
    noCopy: false,
    forceStoreRaw: false,
  });
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.constructor.name : typeof err;
}

/** Strict dcmjs read; if refused, a lenient read that must return every top-level element. */
function readStrictThenLenient(
  bytes: Uint8Array,
  expectedElements: number,
): DcmjsDicomDict | Error {
  const buffer = exactArrayBuffer(bytes);
  try {
    return readWithDcmjs(buffer, false);
  } catch (strictErr) {
    // The walker found the structure complete; dcmjs refused a value.
    let lenient: DcmjsDicomDict | undefined;
    try {
      lenient = readWithDcmjs(buffer, true);
    } catch {
      lenient = undefined;
    }
    if (lenient !== undefined && Object.keys(lenient.dict).length >= expectedElements)
      return lenient;
    return strictErr instanceof Error ? strictErr : new Error(typeof strictErr);
  }
}

function withoutRanges(
  bytes: Uint8Array,
  ranges: readonly { start: number; end: number }[],
): Uint8Array {
  let removed = 0;
  for (const r of ranges) removed += r.end - r.start;
  const out = new Uint8Array(bytes.byteLength - removed);
  let from = 0;
  let to = 0;
  for (const r of ranges) {
    out.set(bytes.subarray(from, r.start), to);
    to += r.start - from;
    from = r.end;
  }
  out.set(bytes.subarray(from), to);
  return out;
}

/**
 * dcmjs cannot read a UN element of undefined length (a sequence written by
 * someone who did not know its VR, CP-246; typically private). When such
 * elements stop dcmjs, they are cut out of the byte stream and the read is
 * retried: imaging/ never needs them, and the walker has already checked
 * their structure.
 */
function readDataset(
  bytes: Uint8Array,
  topLevelElements: number,
  undefinedLengthUn: readonly { start: number; end: number }[],
): DcmjsDicomDict {
  const first = readStrictThenLenient(bytes, topLevelElements);
  if (!(first instanceof Error)) return first;
  if (undefinedLengthUn.length > 0) {
    const second = readStrictThenLenient(
      withoutRanges(bytes, undefinedLengthUn),
      topLevelElements - undefinedLengthUn.length,
    );
    if (!(second instanceof Error)) return second;
  }
  throw parseError(`the dataset could not be decoded (${errorName(first)})`);
}

/**
 * `bytes` without the value of one element of 4-byte length, its length
 * field set to 0 (the same bytes in either byte order).
 */
function withoutPixelValue(
  bytes: Uint8Array,
  element: { start: number; end: number; lengthAt: number },
): Uint8Array {
  const out = withoutRanges(bytes, [element]);
  out.fill(0, element.lengthAt, element.lengthAt + 4);
  return out;
}

const EXPLICIT_LE_UID = `${TransferSyntaxUid.ExplicitVRLittleEndian}\0`;

/**
 * The same file as Explicit VR Little Endian: preamble, the file meta with
 * (0002,0010) replaced and (0002,0000) recomputed, then `dataset`. The meta
 * has already been walked, so its element headers are well formed.
 */
function asExplicitLittleEndian(
  file: Uint8Array,
  datasetOffset: number,
  dataset: Uint8Array,
): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const kept: Uint8Array[] = [];
  let off = 132;
  while (off < datasetOffset) {
    const element = view.getUint16(off + 2, true);
    const vr = String.fromCharCode(file[off + 4] as number, file[off + 5] as number);
    const long = LONG_VRS.has(vr);
    const length = long ? view.getUint32(off + 8, true) : view.getUint16(off + 6, true);
    const end = off + (long ? 12 : 8) + length;
    if (element !== 0x0000 && element !== 0x0010) kept.push(file.subarray(off, end));
    off = end;
  }
  const ts = new Uint8Array(8 + EXPLICIT_LE_UID.length);
  ts.set([0x02, 0x00, 0x10, 0x00, 0x55, 0x49, EXPLICIT_LE_UID.length, 0]);
  for (let i = 0; i < EXPLICIT_LE_UID.length; i++) ts[8 + i] = EXPLICIT_LE_UID.charCodeAt(i);
  // Elements in tag order: (0002,0001..000F) first, then (0002,0010), then the rest.
  const before = kept.filter((e) => (e[2] as number) < 0x10 && e[3] === 0);
  const after = kept.filter((e) => !((e[2] as number) < 0x10 && e[3] === 0));
  const elements = [...before, ts, ...after];
  const metaLength = elements.reduce((n, e) => n + e.byteLength, 0);
  const out = new Uint8Array(132 + 12 + metaLength + dataset.byteLength);
  out.set(file.subarray(0, 132));
  const groupLength = new DataView(out.buffer, 132, 12);
  groupLength.setUint16(0, 0x0002, true);
  groupLength.setUint16(2, 0x0000, true);
  out.set([0x55, 0x4c], 136); // "UL"
  groupLength.setUint16(6, 4, true);
  groupLength.setUint32(8, metaLength, true);
  let at = 144;
  for (const e of elements) {
    out.set(e, at);
    at += e.byteLength;
  }
  out.set(dataset, at);
  return out;
}

/**
 * Encapsulated Pixel Data as views of `bytes`, in the shape dcmjs gives it
 * (FrameRequest.pixelData): with an empty Basic Offset Table one chunk per
 * fragment; with entries, one chunk per entry holding the fragments from it
 * to the next entry (joined; a view when it is one fragment). An entry must
 * point at a fragment's item tag, counted from the first fragment's (PS3.5
 * A.4), and the entries must increase; dcmjs refuses anything else and so
 * does this (DICOM_PARSE_ERROR). `items`: the value ranges of the Basic
 * Offset Table and the fragments, as the walker found them.
 */
function encapsulatedChunks(
  bytes: Uint8Array,
  items: readonly { start: number; end: number }[],
): Uint8Array[] {
  const [table, ...fragments] = items;
  const views = fragments.map((f) => bytes.subarray(f.start, f.end));
  if (table === undefined || table.end === table.start) return views;
  const tableBytes = table.end - table.start;
  if (tableBytes % 4 !== 0) {
    throw parseError(`the Basic Offset Table has ${tableBytes} bytes, not a multiple of 4`);
  }
  // Fragment index by the offset of its item tag from the first fragment's.
  const first = fragments[0]?.start ?? 0;
  const byItemTag = new Map<number, number>();
  fragments.forEach((f, i) => byItemTag.set(f.start - first, i));
  const view = new DataView(bytes.buffer, bytes.byteOffset + table.start, tableBytes);
  const starts: number[] = [];
  for (let e = 0; e < tableBytes / 4; e++) {
    const index = byItemTag.get(view.getUint32(4 * e, true));
    if (index === undefined) {
      throw parseError(`Basic Offset Table entry ${e} does not point at a fragment of Pixel Data`);
    }
    if (starts.length > 0 && index <= (starts[starts.length - 1] as number)) {
      throw parseError(`Basic Offset Table entries do not increase at entry ${e}`);
    }
    starts.push(index);
  }
  return starts.map((from, e) => {
    const to = e + 1 < starts.length ? (starts[e + 1] as number) : views.length;
    return to - from === 1 ? (views[from] as Uint8Array) : concatBytes(views.slice(from, to));
  });
}

/** Parses a DICOM Part-10 file. */
export function parseInstance(bytes: Uint8Array, limits: ParseLimits = {}): DicomInstance {
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  if (bytes.byteLength > maxBytes) {
    throw new RadzError(
      "DICOMWEB_INSTANCE_TOO_LARGE",
      `instance is ${bytes.byteLength} bytes, over the limit of ${maxBytes}`,
    );
  }

  let inflatedTooLarge = false;
  let inflated: Uint8Array | undefined;
  const walk = walkPart10(bytes, {
    inflate: (deflated) => {
      try {
        return (inflated = zlib.inflateRawSync(deflated, {
          maxOutputLength: Number.isFinite(maxBytes) ? Math.max(1, maxBytes) : undefined,
        }));
      } catch (err) {
        if (
          err instanceof RangeError ||
          (err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE"
        ) {
          inflatedTooLarge = true;
        }
        throw err;
      }
    },
  });
  if (inflatedTooLarge) {
    throw new RadzError(
      "DICOMWEB_INSTANCE_TOO_LARGE",
      `deflated dataset inflates beyond the limit of ${maxBytes} bytes`,
    );
  }
  if (walk.problem !== undefined) {
    if (walk.problem.limit === true) {
      throw new RadzError(
        "DICOM_LIMIT_EXCEEDED",
        `DICOM file refused: ${formatWalkProblem(walk.problem)}`,
        { details: { offset: walk.problem.offset } },
      );
    }
    throw parseError(formatWalkProblem(walk.problem), { offset: walk.problem.offset });
  }

  // Pixel Data is not given to dcmjs, which would copy it (10 MB for a
  // radiograph, and as much again to collect): dcmjs reads the file with the
  // native value, or the whole encapsulated element, cut out, and Pixel Data
  // is views of the caller's bytes in the shape dcmjs would give it.
  const encapsulation =
    walk.transferSyntaxUid === undefined ? undefined : transferSyntaxInfo(walk.transferSyntaxUid);
  const source = inflated ?? bytes;
  const nativeCut = encapsulation && !encapsulation.encapsulated ? walk.pixelData : undefined;
  const encapsulated = encapsulation?.encapsulated ? walk.encapsulatedPixelData : undefined;
  const cut = nativeCut ?? encapsulated;
  const dcmjsInput =
    nativeCut !== undefined
      ? withoutPixelValue(source, nativeCut)
      : encapsulated !== undefined
        ? withoutRanges(source, [encapsulated])
        : source;
  const cutLength = cut === undefined ? 0 : cut.end - cut.start;
  const undefinedLengthUn = walk.undefinedLengthUn.map((r) =>
    cut !== undefined && r.start >= cut.end
      ? { start: r.start - cutLength, end: r.end - cutLength }
      : r,
  );
  const topLevelElements = walk.topLevelElements - (encapsulated === undefined ? 0 : 1);
  // Deflated: dcmjs is given the dataset zlib already inflated for the walker
  // (its own inflate is pure JavaScript and several times slower).
  const file =
    inflated === undefined
      ? readDataset(dcmjsInput, topLevelElements, undefinedLengthUn)
      : readDataset(
          asExplicitLittleEndian(bytes, walk.datasetOffset, dcmjsInput),
          topLevelElements,
          [],
        );

  let dataset: NaturalizedDataset;
  try {
    dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
  } catch (err) {
    throw parseError(`the dataset could not be naturalized (${errorName(err)})`);
  }
  // The shape dcmjs gives native Pixel Data: a list of one buffer.
  if (nativeCut !== undefined)
    dataset.PixelData = [source.subarray(nativeCut.start, nativeCut.end)];
  if (encapsulated !== undefined) {
    dataset.PixelData = encapsulatedChunks(source, encapsulated.items);
    if (encapsulated.vr !== undefined) {
      const vrMap = (dataset["_vrMap"] ?? {}) as Record<string, string>;
      vrMap["PixelData"] = encapsulated.vr;
      dataset["_vrMap"] = vrMap;
    }
  }

  const tsValue = file.meta[Tag.TransferSyntaxUID]?.Value?.[0];
  const transferSyntaxUid =
    inflated !== undefined
      ? walk.transferSyntaxUid
      : typeof tsValue === "string"
        ? tsValue.replace(/[\0 ]+$/, "")
        : walk.transferSyntaxUid;
  if (transferSyntaxUid === undefined || transferSyntaxUid === "") {
    throw parseError(`the file meta information lacks ${tagLabel("TransferSyntaxUID")}`);
  }

  const metaUid = (keyword: TagKeyword): string | undefined => {
    const v = file.meta[Tag[keyword]]?.Value?.[0];
    return typeof v === "string" && v.trim() !== "" ? v.replace(/[\0 ]+$/, "") : undefined;
  };
  const required = (keyword: TagKeyword, fallback?: TagKeyword): string => {
    const v =
      getString(dataset, keyword) ?? (fallback === undefined ? undefined : metaUid(fallback));
    if (v === undefined) throw parseError(`the dataset lacks ${tagLabel(keyword)}`);
    return v;
  };

  return {
    transferSyntaxUid,
    dataset,
    sopClassUid: required("SOPClassUID", "MediaStorageSOPClassUID"),
    sopInstanceUid: required("SOPInstanceUID", "MediaStorageSOPInstanceUID"),
    seriesInstanceUid: required("SeriesInstanceUID"),
    studyInstanceUid: required("StudyInstanceUID"),
  };
}
