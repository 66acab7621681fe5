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
import { RadzError } from "../errors.js";
import { getString, type NaturalizedDataset } from "./dataset.js";
import { dcmjs, type DcmjsDicomDict } from "./dcmjs-binding.js";
import { formatWalkProblem, walkPart10 } from "./element-walker.js";
import { Tag, tagLabel, type TagKeyword } from "./tags.js";

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

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  return bytes.slice().buffer;
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
  const buffer = toArrayBuffer(bytes);
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
  const walk = walkPart10(bytes, {
    inflate: (deflated) => {
      try {
        return zlib.inflateRawSync(deflated, {
          maxOutputLength: Number.isFinite(maxBytes) ? Math.max(1, maxBytes) : undefined,
        });
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

  const file = readDataset(bytes, walk.topLevelElements, walk.undefinedLengthUn);

  let dataset: NaturalizedDataset;
  try {
    dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
  } catch (err) {
    throw parseError(`the dataset could not be naturalized (${errorName(err)})`);
  }

  const tsValue = file.meta[Tag.TransferSyntaxUID]?.Value?.[0];
  const transferSyntaxUid =
    typeof tsValue === "string" ? tsValue.replace(/[\0 ]+$/, "") : walk.transferSyntaxUid;
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
