/**
 * The slice of dcmjs (0.51) that report/ uses, typed.
 *
 * dcmjs ships no TypeScript declarations. Rather than an ambient
 * `declare module "dcmjs"` that other folders might also declare (and clash
 * with), report/ loads the CommonJS build through `createRequire` and gives it
 * the narrow interface below. dcmjs always encodes text as UTF-8 when it
 * writes (its BufferStream uses TextEncoder("utf-8")), which is why every SR
 * declares Specific Character Set "ISO_IR 192".
 */
import { createRequire } from "node:module";

/** A dataset in dcmjs "naturalized" form: attribute keywords as keys, sequences as arrays of datasets. */
export type NaturalizedDataset = Record<string, unknown>;

/** A dataset in dcmjs "denaturalized" (DICOM JSON-like) form: tag hex keys with { vr, Value }. */
export type DenaturalizedDataset = Record<string, { vr: string; Value?: unknown[] }>;

interface DicomDictInstance {
  dict: DenaturalizedDataset;
  write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
}

interface ReadOptions {
  ignoreErrors?: boolean;
  untilTag?: string | null;
  includeUntilTagValue?: boolean;
  noCopy?: boolean;
}

interface DcmjsData {
  DicomMetaDictionary: {
    naturalizeDataset(dataset: DenaturalizedDataset): NaturalizedDataset;
    denaturalizeDataset(dataset: NaturalizedDataset): DenaturalizedDataset;
  };
  DicomDict: new (meta: DenaturalizedDataset) => DicomDictInstance;
  DicomMessage: {
    readFile(
      buffer: ArrayBuffer,
      options?: ReadOptions,
    ): { meta: DenaturalizedDataset; dict: DenaturalizedDataset };
  };
}

interface DcmjsModule {
  data: DcmjsData;
}

const require = createRequire(import.meta.url);
const dcmjs = require("dcmjs") as DcmjsModule;
const { DicomMetaDictionary, DicomDict, DicomMessage } = dcmjs.data;

/** Serialises File Meta Information + data set to DICOM Part-10 bytes. */
export function writePart10(meta: NaturalizedDataset, dataset: NaturalizedDataset): Uint8Array {
  const dicomDict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dicomDict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dicomDict.write());
}

export interface Part10Contents {
  readonly meta: NaturalizedDataset;
  readonly dataset: NaturalizedDataset;
}

/**
 * Parses DICOM Part-10 bytes. `untilTag` (e.g. Tag.PixelData) stops before bulk
 * data; `ignoreErrors` lets dcmjs continue past character sets it cannot
 * decode (it then keeps the raw 7-bit bytes, see specific-character-set.ts).
 */
export function readPart10(
  part10: Uint8Array,
  options: { ignoreErrors?: boolean; untilTag?: string } = {},
): Part10Contents {
  const buffer = part10.buffer.slice(
    part10.byteOffset,
    part10.byteOffset + part10.byteLength,
  ) as ArrayBuffer;
  const message = DicomMessage.readFile(buffer, {
    ignoreErrors: options.ignoreErrors ?? false,
    untilTag: options.untilTag ?? null,
    includeUntilTagValue: false,
  });
  return {
    meta: DicomMetaDictionary.naturalizeDataset(message.meta),
    dataset: DicomMetaDictionary.naturalizeDataset(message.dict),
  };
}
