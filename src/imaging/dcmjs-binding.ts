/**
 * The slice of dcmjs that imaging/ uses, typed.
 *
 * dcmjs ships no TypeScript declarations. Rather than add a global
 * `declare module "dcmjs"` (which would collide with any other part's
 * declaration of the same module), imaging/ loads dcmjs through
 * `createRequire` and gives the result the narrow local type below. If the
 * project later gains a shared declaration for dcmjs, this file is the only
 * place to change.
 *
 * This CommonJS copy of dcmjs is private to imaging/ (an ESM `import` elsewhere
 * loads a separate instance with its own logger). Its logger is set to
 * "error" and its "validation.dcmjs" logger silenced: while reading, dcmjs
 * writes to the console for routine things (the dictionary's ambiguous VRs
 * "ox"/"xs"/"lt" on every Implicit VR file, several character sets), which
 * would bypass the service's structured, redacted logging.
 */
import { createRequire } from "node:module";

/** One element of a denaturalized dict: `{ vr, Value }` keyed by 8-hex tag. */
export interface DcmjsElement {
  vr: string;
  Value?: unknown[];
}

export type DcmjsDict = Record<string, DcmjsElement | undefined>;

export interface DcmjsDicomDict {
  meta: DcmjsDict;
  dict: DcmjsDict;
}

export interface DcmjsReadOptions {
  ignoreErrors?: boolean;
  untilTag?: string | null;
  includeUntilTagValue?: boolean;
  noCopy?: boolean;
  forceStoreRaw?: boolean;
}

export interface DcmjsDictionaryEntry {
  tag: string;
  vr: string;
  vm: string;
  name: string;
}

type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "silent";
interface DcmjsLogger {
  setLevel(level: LogLevel): void;
}

export interface DcmjsApi {
  log: DcmjsLogger & { getLogger(name: string): DcmjsLogger };
  data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: DcmjsReadOptions): DcmjsDicomDict;
    };
    DicomMetaDictionary: {
      naturalizeDataset(dict: DcmjsDict): Record<string, unknown>;
      /** Keyed by "(GGGG,EEEE)". */
      dictionary: Record<string, DcmjsDictionaryEntry | undefined>;
    };
  };
}

const require = createRequire(import.meta.url);

export const dcmjs = require("dcmjs") as DcmjsApi;
dcmjs.log.setLevel("error");
dcmjs.log.getLogger("validation.dcmjs").setLevel("silent");

/** Attribute keyword for an 8-hex tag from dcmjs' dictionary, or undefined. */
export function keywordOf(tagHex: string): string | undefined {
  const h = tagHex.toUpperCase();
  return dcmjs.data.DicomMetaDictionary.dictionary[`(${h.slice(0, 4)},${h.slice(4, 8)})`]?.name;
}
