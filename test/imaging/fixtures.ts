/**
 * Part-10 fixtures built in memory with dcmjs (no files, no downloads).
 * `part10({ ...overrides })` gives a small valid DX image; overrides replace
 * or (with undefined) remove attributes.
 */
import { createRequire } from "node:module";
import zlib from "node:zlib";

interface DcmjsWriter {
  data: {
    DicomDict: new (meta: Record<string, unknown>) => {
      dict: Record<string, unknown>;
      write(): ArrayBuffer;
    };
    DicomMetaDictionary: {
      denaturalizeDataset(ds: Record<string, unknown>): Record<string, unknown>;
    };
  };
}

const dcmjs = createRequire(import.meta.url)("dcmjs") as DcmjsWriter;

export const TS = {
  implicitLE: "1.2.840.10008.1.2",
  explicitLE: "1.2.840.10008.1.2.1",
  explicitBE: "1.2.840.10008.1.2.2",
  deflated: "1.2.840.10008.1.2.1.99",
  jpegBaseline: "1.2.840.10008.1.2.4.50",
} as const;

export const DX_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1";

export type PixelSource = Uint8Array | Uint16Array | Int16Array;

export interface FixtureOptions {
  transferSyntax?: string;
  /** Dataset overrides (naturalized keywords); `undefined` removes an attribute. */
  dataset?: Record<string, unknown>;
  /** Pixel sample words in little-endian host order; omitted = no Pixel Data. */
  pixels?: PixelSource;
  pixelVr?: "OW" | "OB";
}

function bytesOf(p: PixelSource): Uint8Array {
  return new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
}

function swap16(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i + 1 < b.length; i += 2) {
    out[i] = b[i + 1] as number;
    out[i + 1] = b[i] as number;
  }
  return out;
}

function meta(ts: string, sopClass: string): Record<string, unknown> {
  return dcmjs.data.DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClass,
    MediaStorageSOPInstanceUID: "1.2.826.0.1.3680043.8.498.3",
    TransferSyntaxUID: ts,
    ImplementationClassUID: "1.2.826.0.1.3680043.8.498.1",
  });
}

export function baseDataset(): Record<string, unknown> {
  return {
    SOPClassUID: DX_FOR_PRESENTATION,
    SOPInstanceUID: "1.2.826.0.1.3680043.8.498.3",
    StudyInstanceUID: "1.2.826.0.1.3680043.8.498.1",
    SeriesInstanceUID: "1.2.826.0.1.3680043.8.498.2",
    Modality: "DX",
    PatientName: "Secret^Patient",
    PatientID: "PHI-0001",
    BodyPartExamined: "CHEST",
    ViewPosition: "PA",
    Rows: 2,
    Columns: 2,
    SamplesPerPixel: 1,
    PhotometricInterpretation: "MONOCHROME2",
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 0,
  };
}

/** Builds a Part-10 file. */
export function part10(opts: FixtureOptions = {}): Uint8Array {
  const ts = opts.transferSyntax ?? TS.explicitLE;
  const ds: Record<string, unknown> = { ...baseDataset(), ...(opts.dataset ?? {}) };
  for (const [k, v] of Object.entries(ds)) if (v === undefined) delete ds[k];
  const vrMap: Record<string, string> = {
    ...((ds["_vrMap"] as Record<string, string> | undefined) ?? {}),
  };
  if (opts.pixels !== undefined) {
    let b = bytesOf(opts.pixels);
    const vr = opts.pixelVr ?? (opts.pixels instanceof Uint8Array ? "OB" : "OW");
    if (ts === TS.explicitBE && vr === "OW") b = swap16(b);
    const copy = b.slice();
    ds["PixelData"] = [copy.buffer];
    vrMap["PixelData"] = vr;
  }
  ds["_vrMap"] = vrMap;
  const writeTs = ts === TS.deflated ? TS.explicitLE : ts;
  const sopClass = typeof ds["SOPClassUID"] === "string" ? ds["SOPClassUID"] : DX_FOR_PRESENTATION;
  const dict = new dcmjs.data.DicomDict(meta(writeTs, sopClass));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  const file = new Uint8Array(dict.write());
  if (ts !== TS.deflated) return file;
  // Deflated Explicit VR LE: same meta (with the deflated UID), dataset raw-deflated (PS3.5 A.5).
  const metaLength = new DataView(file.buffer).getUint32(132 + 8, true);
  const datasetStart = 132 + 12 + metaLength;
  const header = new Uint8Array(new dcmjs.data.DicomDict(meta(TS.deflated, sopClass)).write());
  const deflated = zlib.deflateRawSync(file.subarray(datasetStart));
  const out = new Uint8Array(header.length + deflated.length);
  out.set(header);
  out.set(deflated, header.length);
  return out;
}

/** A typical grayscale fixture: rows x columns 16-bit words. */
export function gray16(
  rows: number,
  columns: number,
  words: readonly number[] | Uint16Array,
  dataset: Record<string, unknown> = {},
  transferSyntax: string = TS.explicitLE,
): Uint8Array {
  return part10({
    transferSyntax,
    dataset: { Rows: rows, Columns: columns, ...dataset },
    pixels: Uint16Array.from(words, (w) => w & 0xffff),
  });
}
