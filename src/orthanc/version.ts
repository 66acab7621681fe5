/**
 * Orthanc version strings and feature detection.
 *
 * Orthanc reports "1.10.1", "1.12.4", and for builds from the development
 * branch "mainline" (sometimes with a suffix such as "mainline-5f2c…"). A
 * mainline build is newer than every release. Anything else that cannot be
 * read is treated as "too old" so features are never assumed.
 */

/** A parsed version: numeric components, or "mainline" (newer than any release). */
export type OrthancVersion =
  | { readonly kind: "release"; readonly parts: readonly number[] }
  | { readonly kind: "mainline" }
  | { readonly kind: "unknown" };

export function parseOrthancVersion(version: string): OrthancVersion {
  const v = version.trim().toLowerCase();
  if (v === "mainline" || v.startsWith("mainline-") || v.startsWith("mainline.")) {
    return { kind: "mainline" };
  }
  // Leading numeric components only: "1.12.0" -> [1,12,0]; "1.12.0-rc1" -> [1,12,0].
  const match = /^(\d+(?:\.\d+)*)/.exec(v);
  if (!match?.[1]) return { kind: "unknown" };
  return { kind: "release", parts: match[1].split(".").map((p) => Number.parseInt(p, 10)) };
}

/**
 * True when `version` is at least `minimum` ("1.12.0"). Components compare as
 * numbers (1.9 < 1.10), missing components count as 0 (1.12 == 1.12.0).
 */
export function isVersionAtLeast(version: string, minimum: string): boolean {
  const have = parseOrthancVersion(version);
  const need = parseOrthancVersion(minimum);
  if (need.kind !== "release") throw new TypeError(`minimum must be a release version: ${minimum}`);
  if (have.kind === "mainline") return true;
  if (have.kind === "unknown") return false;
  const n = Math.max(have.parts.length, need.parts.length);
  for (let i = 0; i < n; i++) {
    const a = have.parts[i] ?? 0;
    const b = need.parts[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** First Orthanc release with labels on resources (and "HasLabels" in /system). */
export const LABELS_MIN_VERSION = "1.12.0";

/**
 * First DICOMweb plugin release that caches each series' metadata (attachment
 * 4301), so WADO-RS Retrieve Series Metadata no longer reads every file — and,
 * unlike an instance-level QIDO-RS on Orthanc 1.12, logs no W001 warning.
 */
export const DICOMWEB_SERIES_METADATA_CACHE_VERSION = "1.15";
