/**
 * The slice of dcmjs's data API that synthetic/ uses, typed locally (dcmjs
 * ships no type declarations). Loaded with createRequire so this module does
 * not depend on an ambient `declare module "dcmjs"`.
 */
import { createRequire } from "node:module";

/** A naturalized dataset: keyword -> value, with optional _vrMap and _meta. */
export type NaturalDataset = Record<string, unknown>;

/** Denaturalized dataset: tag hex -> { vr, Value }. */
export type DenaturalizedDataset = Record<string, { vr: string; Value: unknown[] }>;

export interface DicomDictInstance {
  dict: DenaturalizedDataset;
  meta: DenaturalizedDataset;
  write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
}

export interface DcmjsData {
  DicomDict: new (meta: DenaturalizedDataset) => DicomDictInstance;
  DicomMessage: {
    readFile(
      buffer: ArrayBuffer,
      options?: { untilTag?: string; ignoreErrors?: boolean },
    ): DicomDictInstance;
  };
  DicomMetaDictionary: {
    denaturalizeDataset(dataset: NaturalDataset): DenaturalizedDataset;
    naturalizeDataset(dataset: DenaturalizedDataset): NaturalDataset;
  };
}

const require = createRequire(import.meta.url);
const dcmjs = require("dcmjs") as { data: DcmjsData };

export const dcmjsData: DcmjsData = dcmjs.data;
