/**
 * Typed reads from a dcmjs naturalized dataset (keyword -> value).
 *
 * dcmjs naturalizes a single value to a scalar and several values to an
 * array, DS/IS to numbers, SQ to an array of item datasets and binary VRs to
 * an array of ArrayBuffers. These helpers hide those shapes and never throw:
 * a missing or malformed value reads as undefined / empty.
 */
import type { TagKeyword } from "../dicom/index.js";

export type NaturalizedDataset = Record<string, unknown>;

function values(ds: NaturalizedDataset, keyword: TagKeyword): unknown[] {
  const v = ds[keyword];
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "") return Number(v.trim());
  return Number.NaN;
}

function toStr(v: unknown): string | undefined {
  if (typeof v === "string") return v.replace(/[\0 ]+$/, "").replace(/^ +/, "");
  if (typeof v === "number") return String(v);
  return undefined;
}

/** All values as numbers (NaN where a value is not numeric), in order. */
export function getNumbers(ds: NaturalizedDataset, keyword: TagKeyword): number[] {
  return values(ds, keyword).map(toNumber);
}

/** The first value as a finite number, or undefined. */
export function getNumber(ds: NaturalizedDataset, keyword: TagKeyword): number | undefined {
  const first = values(ds, keyword)[0];
  const n = toNumber(first);
  return Number.isFinite(n) ? n : undefined;
}

/** All values as trimmed strings (non-string values dropped). */
export function getStrings(ds: NaturalizedDataset, keyword: TagKeyword): string[] {
  const out: string[] = [];
  for (const v of values(ds, keyword)) {
    const s = toStr(v);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** The first value as a trimmed string; undefined when absent or empty. */
export function getString(ds: NaturalizedDataset, keyword: TagKeyword): string | undefined {
  const s = toStr(values(ds, keyword)[0]);
  return s === undefined || s === "" ? undefined : s;
}

/** Sequence items. */
export function getItems(ds: NaturalizedDataset, keyword: TagKeyword): NaturalizedDataset[] {
  return values(ds, keyword).filter(
    (v): v is NaturalizedDataset => typeof v === "object" && v !== null && !isBinary(v),
  );
}

function isBinary(v: unknown): v is ArrayBuffer | ArrayBufferView {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

/** Binary chunks of an OB/OW/UN value (as dcmjs gives them), or undefined. */
export function getBinary(ds: NaturalizedDataset, keyword: TagKeyword): Uint8Array[] | undefined {
  const vs = values(ds, keyword);
  if (vs.length === 0) return undefined;
  const out: Uint8Array[] = [];
  for (const v of vs) {
    if (v instanceof ArrayBuffer) out.push(new Uint8Array(v));
    else if (ArrayBuffer.isView(v)) out.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    else return undefined;
  }
  return out;
}

/** The VR dcmjs recorded for an element whose VR was ambiguous or binary (`_vrMap`). */
export function getVr(ds: NaturalizedDataset, keyword: TagKeyword): string | undefined {
  const map = ds["_vrMap"];
  if (typeof map !== "object" || map === null) return undefined;
  const vr = (map as Record<string, unknown>)[keyword];
  return typeof vr === "string" ? vr : undefined;
}

/** Concatenate chunks into one Uint8Array (no copy when there is one chunk). */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
