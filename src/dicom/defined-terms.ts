/**
 * Coded values RadZ may quote. An error message, skip reason, log line or
 * API answer may name a DICOM attribute's value only when the value is one
 * of the standard's Defined Terms for it (listed here) — never free text,
 * which a modality or a person may have filled with anything, patient data
 * included (docs/security.md, "What is logged"). Body Part Examined and the
 * descriptions are never quoted, whatever they hold.
 */
import { tagLabel } from "./tags.js";

/** PS3.3 C.7.6.3.1.2 Photometric Interpretation (current and retired terms). */
const PHOTOMETRIC_INTERPRETATION: ReadonlySet<string> = new Set([
  "MONOCHROME1",
  "MONOCHROME2",
  "PALETTE COLOR",
  "RGB",
  "HSV",
  "ARGB",
  "CMYK",
  "YBR_FULL",
  "YBR_FULL_422",
  "YBR_PARTIAL_422",
  "YBR_PARTIAL_420",
  "YBR_ICT",
  "YBR_RCT",
  "XYB",
]);

/** PS3.3 C.7.3.1.1.1 Modality: Defined Terms, and retired ones still seen in archives. */
const MODALITY: ReadonlySet<string> = new Set(
  (
    "ANN AR ASMT AU BDUS BI BMD CFM CR CT CTPROTOCOL DMS DG DOC DX ECG EEG EMG EOG EPS ES FID GM " +
    "HC HD IO IOL IVOCT IVUS KER KO LEN LS MG MR M3D NM OAM OCT OP OPM OPT OPTBSV OPTENF OPV OSS " +
    "OT PA PLAN POS PR PT PX REG RESP RF RG RTDOSE RTIMAGE RTINTENT RTPLAN RTRAD RTRECORD " +
    "RTSEGANN RTSTRUCT RWV SEG SM SMR SR SRF STAIN TEXTUREMAP TG US VA XA XAPROTOCOL XC " +
    // Retired (PS3.3 C.7.3.1.1.1, retired terms)
    "AS CD CF CP CS DD DF DM DS EC FA FS LP MA MS OPR ST VF"
  ).split(" "),
);

const DEFINED_TERMS = {
  PhotometricInterpretation: PHOTOMETRIC_INTERPRETATION,
  Modality: MODALITY,
} as const;

export type CodedKeyword = keyof typeof DEFINED_TERMS;

/** Is `value` one of the Defined Terms of `keyword`? (trimmed, case as stored) */
export function isDefinedTerm(keyword: CodedKeyword, value: string | undefined): boolean {
  return value !== undefined && DEFINED_TERMS[keyword].has(value.trim());
}

/**
 * The value as it may be quoted: the Defined Term itself, "(absent)", or
 * "(a value that is not a Defined Term)" — never the text itself.
 */
export function quotableValue(keyword: CodedKeyword, value: string | undefined): string {
  const v = (value ?? "").trim();
  if (v === "") return "(absent)";
  return DEFINED_TERMS[keyword].has(v) ? v : "(a value that is not a Defined Term)";
}

/** "(0028,0004) PhotometricInterpretation MONOCHROME2", or with the placeholder instead of the value. */
export function codedLabel(keyword: CodedKeyword, value: string | undefined): string {
  return `${tagLabel(keyword)} ${quotableValue(keyword, value)}`;
}
