/**
 * DICOM UIDs in the `2.25.<integer>` form (PS3.5 §B.2: a UUID written as one
 * unsigned decimal integer under the root 2.25), so RadZ needs no registered
 * root of its own.
 *
 * `deterministicUid` is the idempotency tool: the same inputs always give the
 * same UID, so re-sending a report after a crash reuses its SOP Instance UID
 * instead of creating a second object (docs/architecture.md, "At most one
 * current SR per (study, model bundle version)").
 */
import { createHash, randomUUID } from "node:crypto";

/** The UUID-derived UID root (PS3.5 §B.2). */
export const UUID_UID_ROOT = "2.25";

/** PS3.5 §9.1: a UID is at most 64 characters. */
export const MAX_UID_LENGTH = 64;

const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** True if `uid` is a syntactically valid DICOM UID (digits and dots, no leading zeros, <= 64 chars). */
export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= MAX_UID_LENGTH && UID_PATTERN.test(uid);
}

/** Writes 16 bytes (a UUID) as `2.25.<decimal>`; BigInt's decimal form never has leading zeros. */
function uuidBytesToUid(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return `${UUID_UID_ROOT}.${value.toString(10)}`;
}

/**
 * A name-based UUID (RFC 9562 version 8, "custom") from sha256 over the parts,
 * written as a `2.25.` UID: the first 128 bits of the digest with the version
 * nibble set to 8 and the variant bits set to `10`, so the integer is a real
 * UUID as PS3.5 §B.2 requires. At most 5 + 39 = 44 characters.
 *
 * The parts are hashed as a JSON array, so ("a.b", "c") and ("a", "b.c") differ.
 *
 * @example deterministicUid("sr-sop", studyUid, "cxr-zero", "1.0.0", "0123abcd")
 */
export function deterministicUid(...parts: string[]): string {
  const digest = createHash("sha256").update(JSON.stringify(parts), "utf8").digest();
  const bytes = Uint8Array.from(digest.subarray(0, 16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // variant 10xx
  return uuidBytesToUid(bytes);
}

/** A fresh random (version 4) UUID written as a `2.25.` UID. */
export function randomUid(): string {
  return uuidBytesToUid(Buffer.from(randomUUID().replaceAll("-", ""), "hex"));
}
