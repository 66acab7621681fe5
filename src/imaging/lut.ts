/**
 * Lookup tables as DICOM encodes them: LUT Descriptor + LUT Data
 * (PS3.3 C.11.1.1.1 Modality LUT, C.11.2.1.1 VOI LUT, C.7.6.3.1.5 Palette Color).
 *
 * Descriptor: [number of entries (0 means 65536), first input value mapped,
 * bits per entry]. The first-mapped value is US or SS; with Implicit VR dcmjs
 * cannot know which and reads US, so a value above 32767 is read as negative
 * when the LUT's input domain is signed (`signedInput`), as DCMTK does.
 *
 * LUT Data is US (numbers), OW or UN (bytes; OW in the file's byte order).
 * With 8 bits per entry some writers pack two entries per 16-bit word
 * (low byte first); that is detected by the word count.
 */
import { getBinary, getNumbers, getVr, type NaturalizedDataset } from "./dataset.js";
import type { TagKeyword, ByteOrder } from "../dicom/index.js";

export interface Lut {
  readonly entries: number;
  readonly firstMapped: number;
  /** Bits per entry (descriptor's third value). */
  readonly bits: number;
  readonly data: Uint16Array;
}

export type LutReadResult = { ok: true; lut: Lut } | { ok: false; problem: string };

function lutWords(
  item: NaturalizedDataset,
  dataKeyword: TagKeyword,
  byteOrder: ByteOrder,
): Uint16Array | undefined {
  const bin = getBinary(item, dataKeyword);
  if (bin !== undefined) {
    const vr = getVr(item, dataKeyword);
    const big = byteOrder === "big" && vr !== "UN";
    let total = 0;
    for (const c of bin) total += c.byteLength;
    const out = new Uint16Array(Math.floor(total / 2));
    let w = 0;
    let carry = -1;
    for (const c of bin) {
      for (let i = 0; i < c.byteLength; i++) {
        const b = c[i] as number;
        if (carry < 0) carry = b;
        else {
          out[w++] = big ? (carry << 8) | b : carry | (b << 8);
          carry = -1;
        }
      }
    }
    return out;
  }
  const nums = getNumbers(item, dataKeyword);
  if (nums.length === 0 || nums.some((n) => !Number.isFinite(n))) return undefined;
  return Uint16Array.from(nums, (n) => (n < 0 ? n + 65536 : n));
}

/** Reads one LUT from an item (or dataset) holding a descriptor and data. */
export function readLut(
  item: NaturalizedDataset,
  descriptorKeyword: TagKeyword,
  dataKeyword: TagKeyword,
  opts: { signedInput: boolean; byteOrder: ByteOrder },
): LutReadResult {
  const desc = getNumbers(item, descriptorKeyword);
  if (desc.length < 3 || desc.some((n) => !Number.isInteger(n))) {
    return { ok: false, problem: "LUT Descriptor is missing or not three integers" };
  }
  let entries = desc[0] as number;
  let firstMapped = desc[1] as number;
  const bits = desc[2] as number;
  if (entries < 0) entries += 65536; // an SS-typed descriptor read a large count as negative
  if (entries === 0) entries = 65536;
  if (opts.signedInput && firstMapped > 32767) firstMapped -= 65536;
  if (!opts.signedInput && firstMapped < 0) firstMapped += 65536;
  if (bits < 1 || bits > 16)
    return { ok: false, problem: `LUT Descriptor bits per entry ${bits} is not 1..16` };

  const words = lutWords(item, dataKeyword, opts.byteOrder);
  if (words === undefined) return { ok: false, problem: "LUT Data is missing" };
  let data: Uint16Array;
  if (words.length >= entries) {
    data = words.subarray(0, entries);
  } else if (bits <= 8 && words.length * 2 >= entries) {
    data = new Uint16Array(entries);
    for (let i = 0; i < entries; i++) {
      const w = words[i >> 1] as number;
      data[i] = i % 2 === 0 ? w & 0xff : w >> 8;
    }
  } else {
    return {
      ok: false,
      problem: `LUT Data has ${words.length} entries; the descriptor declares ${entries}`,
    };
  }
  return { ok: true, lut: { entries, firstMapped, bits, data } };
}

/** LUT output for input x: entries below/above the table clamp to the first/last entry. */
export function lutLookup(lut: Lut, x: number): number {
  let i = Math.round(x) - lut.firstMapped;
  if (i < 0) i = 0;
  else if (i >= lut.entries) i = lut.entries - 1;
  return lut.data[i] as number;
}
