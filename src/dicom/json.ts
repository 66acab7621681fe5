/**
 * DICOM JSON Model (PS3.18 Annex F): what QIDO-RS returns and STOW-RS answers,
 * and the one set of readers for it. Elements are keyed by tag as 8 hex digits
 * (tags.ts); the model spells them upper-case, a lower-case key is read too.
 */

export interface DicomJsonElement {
  readonly vr: string;
  readonly Value?: readonly unknown[];
  readonly InlineBinary?: string;
  readonly BulkDataURI?: string;
}

/** One dataset in the DICOM JSON Model: tag ("0020000D") -> element. */
export type DicomJsonObject = Record<string, DicomJsonElement>;

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
export function values(obj: DicomJsonObject, tag: string): readonly unknown[] {
  return (obj[tag] ?? obj[tag.toLowerCase()])?.Value ?? [];
}

/** The first value as a trimmed string (numbers are stringified); undefined when absent or empty. */
export function firstString(obj: DicomJsonObject, tag: string): string | undefined {
  const v = values(obj, tag)[0];
  if (typeof v !== "string" && typeof v !== "number") return undefined;
  const s = String(v).trim();
  return s === "" ? undefined : s;
}

/** Every string value, trimmed, in order (non-strings dropped). */
export function strings(obj: DicomJsonObject, tag: string): string[] {
  return values(obj, tag)
    .filter((v): v is string => typeof v === "string")
    .map((v) => v.trim());
}

/** The first value as a finite number (numeric strings are parsed), or undefined. */
export function firstNumber(obj: DicomJsonObject, tag: string): number | undefined {
  const v = values(obj, tag)[0];
  const n =
    typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The items of a sequence element that are datasets. */
export function sequenceItems(obj: DicomJsonObject, tag: string): DicomJsonObject[] {
  return values(obj, tag).filter(isDicomJsonObject);
}
