/**
 * Specific Character Set (0008,0005) handling for the attributes the SR copies
 * from its source image.
 *
 * The SR is always written in UTF-8: dcmjs encodes every string as UTF-8, and
 * UTF-8 can represent any repertoire a source declares. An SR whose text is
 * all 7-bit ASCII declares no Specific Character Set (the default repertoire,
 * PS3.3 C.12.1.1.2: the attribute is Type 1C, required only when another
 * repertoire is used); any other SR declares "ISO_IR 192". The source's own
 * value ("ISO_IR 100", "\ISO 2022 IR 87", ...) is therefore never carried over
 * as is: it would describe bytes the SR does not contain.
 *
 * What matters is that the strings we copy are real Unicode text:
 *
 * - DICOM JSON (QIDO/WADO-RS metadata) is always Unicode, whatever the source's
 *   Specific Character Set says: nothing to do.
 * - A source read by dcmjs with ISO_IR 100/192/... is decoded by dcmjs: nothing to do.
 * - A source in ISO 2022 with code extensions (e.g. "\ISO 2022 IR 87", Japanese
 *   JIS X 0208) cannot be decoded by dcmjs 0.51: it refuses multi-valued
 *   character sets, and with `ignoreErrors` decodes the first value (ASCII /
 *   Latin-1) only, leaving the escape sequences (ESC $ B ... ESC ( B) in the
 *   string. Those bytes are 7-bit, so they survive unchanged and we decode them
 *   here with the WHATWG "iso-2022-jp" decoder (covers ISO 2022 IR 6, IR 13/14
 *   Roman, IR 87, IR 159 as used in Japanese DICOM: PS3.5 Annex H).
 *
 * A string with escape sequences that do not decode (e.g. ISO 2022 IR 149
 * Korean, which WHATWG does not support) raises SR_BUILD_FAILED rather than
 * writing garbled names into a clinical object.
 */
import { RadzError } from "../errors.js";

/** The character set an SR with non-ASCII text declares (UTF-8). */
export const SR_SPECIFIC_CHARACTER_SET = "ISO_IR 192";

function containsNonAscii(value: unknown): boolean {
  if (typeof value === "string") return /[\u0080-\u{10ffff}]/u.test(value);
  if (Array.isArray(value)) return value.some(containsNonAscii);
  if (
    value !== null &&
    typeof value === "object" &&
    !(value instanceof ArrayBuffer) &&
    !ArrayBuffer.isView(value)
  ) {
    return Object.values(value).some(containsNonAscii);
  }
  return false;
}

/** "ISO_IR 192" if any text in the (naturalized) dataset is outside 7-bit ASCII, otherwise undefined (default repertoire). */
export function specificCharacterSetFor(dataset: Record<string, unknown>): string | undefined {
  return containsNonAscii(dataset) ? SR_SPECIFIC_CHARACTER_SET : undefined;
}

const ESC = "\u001b";

/** Decodes ISO 2022 escape sequences left in a string by a reader that could not handle them. */
export function decodeIso2022Escapes(value: string): string {
  if (!value.includes(ESC)) return value;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0x7f) {
      throw new RadzError(
        "SR_BUILD_FAILED",
        "A source text attribute mixes ISO 2022 escape sequences with 8-bit characters; it cannot be decoded.",
      );
    }
    bytes[i] = code;
  }
  try {
    return new TextDecoder("iso-2022-jp", { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new RadzError(
      "SR_BUILD_FAILED",
      "A source text attribute uses an ISO 2022 code extension that cannot be decoded.",
      { cause },
    );
  }
}

/**
 * A single-valued string attribute from a naturalized dataset, as Unicode text.
 * Arrays (multi-valued, or split by a reader on a backslash byte inside a
 * two-byte sequence) are joined back with "\" before decoding.
 */
export function sourceString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    if (value.every((v) => typeof v === "string" || typeof v === "number"))
      return decodeIso2022Escapes(value.map(String).join("\\"));
    return undefined;
  }
  if (typeof value === "string" || typeof value === "number")
    return decodeIso2022Escapes(String(value));
  return undefined;
}

interface PersonNameGroups {
  Alphabetic?: unknown;
  Ideographic?: unknown;
  Phonetic?: unknown;
}

/**
 * A Person Name (PN) value as the DICOM string "Alphabetic=Ideographic=Phonetic",
 * from any form dcmjs or DICOM JSON gives: a string, or [{ Alphabetic, Ideographic, Phonetic }].
 * The component groups are joined before decoding (a "=" byte may sit inside a
 * JIS X 0208 two-byte character), then trailing empty groups are dropped.
 */
export function sourcePersonName(value: unknown): string | undefined {
  const first: unknown = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (first === undefined || first === null) return undefined;
  let raw: string;
  if (typeof first === "string") {
    raw = first;
  } else if (typeof first === "object") {
    const groups = first as PersonNameGroups;
    const parts = [groups.Alphabetic, groups.Ideographic, groups.Phonetic].map((g) =>
      typeof g === "string" ? g : "",
    );
    raw = parts.join("=");
  } else {
    return undefined;
  }
  return decodeIso2022Escapes(raw).replace(/=+$/, "");
}
