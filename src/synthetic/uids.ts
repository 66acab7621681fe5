/**
 * Deterministic UIDs under the 2.25 root (PS3.5 B.2: a UUID-derived integer).
 * The 128-bit integer is the first 16 bytes of sha256 over the parts, so the
 * same seed and index always give the same UID and different ones collide
 * only with negligible probability.
 */
import { createHash } from "node:crypto";

export function uid225(...parts: readonly (string | number)[]): string {
  const digest = createHash("sha256").update(parts.join("/")).digest("hex").slice(0, 32);
  return `2.25.${BigInt(`0x${digest}`).toString(10)}`;
}

/** Implementation Class UID written into the File Meta Information of synthetic files. */
export const SYNTHETIC_IMPLEMENTATION_CLASS_UID = uid225("radz", "synthetic", "implementation");
export const SYNTHETIC_IMPLEMENTATION_VERSION_NAME = "RADZ_SYNTH_1";
