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
    throw parseError(formatWalkProblem(walk.problem), { offset: walk.problem.offset });
  }

  const buffer = toArrayBuffer(bytes);
  let file: DcmjsDicomDict;
  try {
    file = readWithDcmjs(buffer, false);
  } catch (strictErr) {
    // The walker found the structure complete; dcmjs refused a value.
    let lenient: DcmjsDicomDict | undefined;
    try {
      lenient = readWithDcmjs(buffer, true);
    } catch {
      lenient = undefined;
    }
    // The walker counted the top-level elements (of the inflated dataset, too).
    const complete =
      lenient !== undefined && Object.keys(lenient.dict).length >= walk.topLevelElements;
    if (lenient === undefined || !complete) {
      throw parseError(`the dataset could not be decoded (${errorName(strictErr)})`);
    }
    file = lenient;
  }

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
