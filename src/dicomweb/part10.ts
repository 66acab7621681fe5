/**
 * Just enough of a DICOM Part-10 reader to check a payload is a Part-10 file
 * (128-byte preamble + "DICM") and to read its File Meta Information
 * (group 0002, always Explicit VR Little Endian, PS3.10 §7.1). No pixel or
 * dataset parsing happens here; imaging/ owns that. The VR rules are dicom/'s.
 */
import { LONG_VRS, Tag, UNDEFINED_LENGTH, hexTag } from "../dicom/index.js";

export interface Part10Meta {
  readonly mediaStorageSopClassUid: string | undefined;
  readonly mediaStorageSopInstanceUid: string | undefined;
  readonly transferSyntaxUid: string | undefined;
}

const PREAMBLE = 128;
const MAGIC = [0x44, 0x49, 0x43, 0x4d]; // "DICM"

/** True when the bytes start with a Part-10 preamble and the "DICM" prefix. */
export function hasPart10Prefix(bytes: Uint8Array): boolean {
  if (bytes.length < PREAMBLE + 4) return false;
  return MAGIC.every((b, i) => bytes[PREAMBLE + i] === b);
}

/** Reads the File Meta Information; null when the bytes are not Part-10. */
export function readPart10Meta(bytes: Uint8Array): Part10Meta | null {
  if (!hasPart10Prefix(bytes)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = new TextDecoder("latin1");
  const found = new Map<string, string>();
  let p = PREAMBLE + 4;
  /** End of the meta group, from File Meta Information Group Length (0002,0000) when present. */
  let metaEnd: number | undefined;
  while (p + 8 <= bytes.length) {
    const group = view.getUint16(p, true);
    if (group !== 0x0002) break;
    const element = view.getUint16(p + 2, true);
    const vr = String.fromCharCode(bytes[p + 4] ?? 0, bytes[p + 5] ?? 0);
    let length: number;
    let valueStart: number;
    if (LONG_VRS.has(vr)) {
      if (p + 12 > bytes.length) return null;
      length = view.getUint32(p + 8, true);
      valueStart = p + 12;
    } else {
      length = view.getUint16(p + 6, true);
      valueStart = p + 8;
    }
    if (length === UNDEFINED_LENGTH || valueStart + length > bytes.length) return null;
    if (element === 0x0000 && vr === "UL" && length === 4)
      metaEnd = valueStart + 4 + view.getUint32(valueStart, true);
    if (vr === "UI") {
      found.set(
        hexTag(group, element),
        ascii.decode(bytes.subarray(valueStart, valueStart + length)).replace(/[\0 ]+$/, ""),
      );
    }
    p = valueStart + length;
  }
  // Cut short inside the meta group: not a usable Part-10 file.
  if (metaEnd !== undefined ? p < metaEnd || metaEnd > bytes.length : p + 8 > bytes.length)
    return null;
  return {
    mediaStorageSopClassUid: found.get(Tag.MediaStorageSOPClassUID),
    mediaStorageSopInstanceUid: found.get(Tag.MediaStorageSOPInstanceUID),
    transferSyntaxUid: found.get(Tag.TransferSyntaxUID),
  };
}
