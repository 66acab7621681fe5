/**
 * DICOM JSON Model (PS3.18 Annex F): what QIDO-RS returns and STOW-RS answers.
 * Tags are named constants (8 upper-case hex digits, as the model spells them).
 */

export interface DicomJsonElement {
  readonly vr: string;
  readonly Value?: unknown[];
  readonly InlineBinary?: string;
  readonly BulkDataURI?: string;
}

/** One dataset in the DICOM JSON Model: tag ("0020000D") -> element. */
export type DicomJsonObject = Record<string, DicomJsonElement>;

export const Tag = {
  SOPClassUID: "00080016",
  SOPInstanceUID: "00080018",
  Modality: "00080060",
  RetrieveURL: "00081190",
  FailedSOPSequence: "00081198",
  ReferencedSOPSequence: "00081199",
  OtherFailuresSequence: "0008119A",
  ReferencedSOPClassUID: "00081150",
  ReferencedSOPInstanceUID: "00081155",
  WarningReason: "00081196",
  FailureReason: "00081197",
  BodyPartExamined: "00180015",
  ViewPosition: "00185101",
  StudyInstanceUID: "0020000D",
  SeriesInstanceUID: "0020000E",
  SeriesNumber: "00200011",
  InstanceNumber: "00200013",
  TransferSyntaxUID: "00020010",
  ImageType: "00080008",
  Rows: "00280010",
  Columns: "00280011",
} as const;
export type Tag = (typeof Tag)[keyof typeof Tag];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** True when `v` looks like a DICOM JSON dataset (every member has a string "vr"). */
export function isDicomJsonObject(v: unknown): v is DicomJsonObject {
  if (!isObject(v)) return false;
  for (const el of Object.values(v)) {
    if (!isObject(el) || typeof el.vr !== "string") return false;
    if (el.Value !== undefined && !Array.isArray(el.Value)) return false;
  }
  return true;
}

/** The element's values, or [] when absent/empty. */
export function values(obj: DicomJsonObject, tag: string): unknown[] {
  return obj[tag]?.Value ?? [];
}

/** The first value as a string (numbers are stringified), or undefined. */
export function firstString(obj: DicomJsonObject, tag: string): string | undefined {
  const v = values(obj, tag)[0];
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  return undefined;
}

/** The first value as a number (numeric strings are parsed), or undefined. */
export function firstNumber(obj: DicomJsonObject, tag: string): number | undefined {
  const v = values(obj, tag)[0];
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** The items of a sequence element that are datasets. */
export function sequenceItems(obj: DicomJsonObject, tag: string): DicomJsonObject[] {
  return values(obj, tag).filter(isDicomJsonObject);
}
