/**
 * SR content items (PS3.3 §C.17.3 SR Document Content Module) as dcmjs
 * naturalized JSON, plus the value formatting rules of PS3.5 §6.2 that the
 * builder relies on (DS <= 16 characters, LO <= 64, SH <= 16, no backslash in
 * single-valued strings).
 */
import { DCMR, VR_MAX_LENGTH } from "../dicom/index.js";
import type { CodedConcept } from "../model/index.js";
import type { NaturalizedDataset } from "./dcmjs.js";

export const RelationshipType = {
  Contains: "CONTAINS",
  HasObsContext: "HAS OBS CONTEXT",
  HasConceptMod: "HAS CONCEPT MOD",
  HasProperties: "HAS PROPERTIES",
  HasAcqContext: "HAS ACQ CONTEXT",
  InferredFrom: "INFERRED FROM",
  SelectedFrom: "SELECTED FROM",
} as const;
export type RelationshipType = (typeof RelationshipType)[keyof typeof RelationshipType];

export type ContentItem = NaturalizedDataset;

// Control characters other than ESC are not allowed in SH/LO/ST (PS3.5 §6.1.3).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** A single-valued SH/LO value: no backslash (value delimiter), no control characters, trimmed to the VR's length. */
export function singleValuedString(value: string, vr: "SH" | "LO"): string {
  const cleaned = value.replace(/\\/g, "/").replace(CONTROL_CHARACTERS, " ").trim();
  return Array.from(cleaned).slice(0, VR_MAX_LENGTH[vr]).join("").trimEnd();
}

/** An ST value (short text, no backslash restriction but no control characters except CR/LF/FF/TAB). */
export function shortText(value: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = value.replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, " ");
  return Array.from(cleaned).slice(0, VR_MAX_LENGTH.ST).join("");
}

/**
 * A Decimal String of at most 16 characters (PS3.5 §6.2, DS), choosing the
 * most significant digits that fit. The exact binary value is carried beside it
 * in Floating Point Value (0040,A161), so nothing is lost.
 */
export function decimalString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError("Decimal String must be finite");
  if (Object.is(value, -0) || value === 0) return "0";
  for (let precision = 16; precision >= 1; precision--) {
    let text = value.toPrecision(precision);
    if (text.includes("e")) {
      const [mantissa = "", exponent = ""] = text.split("e");
      text = `${mantissa.includes(".") ? mantissa.replace(/0+$/, "").replace(/\.$/, "") : mantissa}E${exponent}`;
    } else if (text.includes(".")) {
      text = text.replace(/0+$/, "").replace(/\.$/, "");
    }
    if (text.length <= VR_MAX_LENGTH.DS) return text;
  }
  throw new RangeError("Decimal String cannot represent the value in 16 characters");
}

/** DA (YYYYMMDD) and TM (HHMMSS) of a Date in UTC. */
export function dicomDateTimeUtc(date: Date): { date: string; time: string; dateTime: string } {
  const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
  const d = `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}`;
  const t = `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
  return { date: d, time: t, dateTime: `${d}${t}+0000` };
}

/**
 * Code Sequence Macro (PS3.3 Table 8.8-1) item: Code Value when it fits SH (16
 * characters), URN Code Value for URN/URL codes, Long Code Value otherwise.
 */
export function codeItem(concept: CodedConcept): NaturalizedDataset {
  const item: NaturalizedDataset = {
    CodingSchemeDesignator: singleValuedString(concept.scheme, "SH"),
    CodeMeaning: singleValuedString(concept.meaning, "LO"),
  };
  if (/^(urn|https?):/i.test(concept.value)) item.URNCodeValue = concept.value;
  else if (Array.from(concept.value).length > VR_MAX_LENGTH.SH) item.LongCodeValue = concept.value;
  else item.CodeValue = concept.value;
  return item;
}

/** Reads back the code of a Code Sequence item (whichever of the three value attributes is present). */
export function codeOf(item: NaturalizedDataset | undefined): CodedConcept | undefined {
  if (item === undefined) return undefined;
  const value = [item.CodeValue, item.LongCodeValue, item.URNCodeValue].find(
    (v) => typeof v === "string" && v.length > 0,
  );
  if (typeof value !== "string" || typeof item.CodingSchemeDesignator !== "string")
    return undefined;
  return {
    value,
    scheme: item.CodingSchemeDesignator,
    meaning: typeof item.CodeMeaning === "string" ? item.CodeMeaning : "",
  };
}

function withRelationship(
  relationship: RelationshipType | undefined,
  item: ContentItem,
): ContentItem {
  return relationship === undefined ? item : { RelationshipType: relationship, ...item };
}

export function containerItem(
  relationship: RelationshipType | undefined,
  concept: CodedConcept,
  children: ContentItem[],
  templateId?: string,
): ContentItem {
  const item: ContentItem = {
    ValueType: "CONTAINER",
    ConceptNameCodeSequence: [codeItem(concept)],
    ContinuityOfContent: "SEPARATE",
  };
  if (templateId !== undefined) {
    item.ContentTemplateSequence = [
      {
        MappingResource: DCMR.mappingResource,
        MappingResourceUID: DCMR.mappingResourceUid,
        TemplateIdentifier: templateId,
      },
    ];
  }
  if (children.length > 0) item.ContentSequence = children;
  return withRelationship(relationship, item);
}

export function codeContentItem(
  relationship: RelationshipType,
  concept: CodedConcept,
  value: CodedConcept,
): ContentItem {
  return withRelationship(relationship, {
    ValueType: "CODE",
    ConceptNameCodeSequence: [codeItem(concept)],
    ConceptCodeSequence: [codeItem(value)],
  });
}

export function textContentItem(
  relationship: RelationshipType,
  concept: CodedConcept,
  text: string,
): ContentItem {
  return withRelationship(relationship, {
    ValueType: "TEXT",
    ConceptNameCodeSequence: [codeItem(concept)],
    TextValue: text,
  });
}

export function uidrefContentItem(
  relationship: RelationshipType,
  concept: CodedConcept,
  uid: string,
): ContentItem {
  return withRelationship(relationship, {
    ValueType: "UIDREF",
    ConceptNameCodeSequence: [codeItem(concept)],
    UID: uid,
  });
}

/** NUM item with Numeric Value (DS) and the exact Floating Point Value (FD), PS3.3 Table C.18.1-1. */
export function numContentItem(
  relationship: RelationshipType,
  concept: CodedConcept,
  value: number,
  units: CodedConcept,
): ContentItem {
  return withRelationship(relationship, {
    ValueType: "NUM",
    ConceptNameCodeSequence: [codeItem(concept)],
    MeasuredValueSequence: [
      {
        NumericValue: decimalString(value),
        FloatingPointValue: value,
        MeasurementUnitsCodeSequence: [codeItem(units)],
      },
    ],
  });
}

export function imageContentItem(
  relationship: RelationshipType,
  concept: CodedConcept,
  sopClassUid: string,
  sopInstanceUid: string,
): ContentItem {
  return withRelationship(relationship, {
    ValueType: "IMAGE",
    ConceptNameCodeSequence: [codeItem(concept)],
    ReferencedSOPSequence: [
      { ReferencedSOPClassUID: sopClassUid, ReferencedSOPInstanceUID: sopInstanceUid },
    ],
  });
}

/** A reference to one image (and, for a multi-frame image, one frame of it). */
export interface ImageReference {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** Referenced Frame Number (1-based); only for multi-frame images. */
  readonly frame?: number;
}

/**
 * SCOORD item (PS3.3 §C.18.6): 2D image coordinates in pixels of the referenced
 * image (column, row; (0, 0) the top-left corner of the top-left pixel),
 * SELECTED FROM one IMAGE item. A closed POLYLINE repeats its first point last.
 */
export function scoordContentItem(
  relationship: RelationshipType,
  concept: CodedConcept | undefined,
  graphicType: "POINT" | "POLYLINE",
  points: readonly (readonly [number, number])[],
  image: ImageReference,
  imageConcept: CodedConcept | undefined,
): ContentItem {
  const reference: NaturalizedDataset = {
    ReferencedSOPClassUID: image.sopClassUid,
    ReferencedSOPInstanceUID: image.sopInstanceUid,
  };
  if (image.frame !== undefined) reference.ReferencedFrameNumber = image.frame;
  const selectedFrom: ContentItem = {
    RelationshipType: RelationshipType.SelectedFrom,
    ValueType: "IMAGE",
    ...(imageConcept === undefined ? {} : { ConceptNameCodeSequence: [codeItem(imageConcept)] }),
    ReferencedSOPSequence: [reference],
  };
  return withRelationship(relationship, {
    ValueType: "SCOORD",
    ...(concept === undefined ? {} : { ConceptNameCodeSequence: [codeItem(concept)] }),
    GraphicType: graphicType,
    GraphicData: points.flatMap(([x, y]) => [x, y]),
    ContentSequence: [selectedFrom],
  });
}
