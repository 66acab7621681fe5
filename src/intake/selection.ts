/**
 * Which instances of a study RadZ reads, and in what order.
 *
 * An instance is eligible when
 *  1. its SOP class is an accepted image storage class (imaging/sop-class.ts),
 *  2. its Modality is in `rules.modalities` (case-insensitive; '' in the list
 *     admits an absent Modality),
 *  3. its Body Part Examined is in `rules.bodyParts` (case-insensitive; '' in
 *     the list admits an absent or empty value).
 *
 * Eligible instances are ranked within their study by
 *  1. View Position: PA, then AP, then absent / anything else, then lateral
 *     views (LL, RL, LATERAL, LAT, LLD, RLD);
 *  2. Image Type: ORIGINAL (and not SECONDARY) first, then absent, then
 *     DERIVED or SECONDARY;
 *  3. SOP class: DX For Presentation / CR before DX For Processing;
 *  4. Instance Number ascending (absent last);
 *  5. SOP Instance UID, so the choice never depends on the order a server
 *     listed the instances in (reproducible scores);
 * and the first `maxImagesPerStudy` of each study are selected. The others
 * are reported as rejected with reason code "over-limit".
 *
 * Series first: Modality and Body Part Examined are series attributes, so a
 * study's series (from Orthanc's index: study-candidates.ts) are checked
 * before any instance is asked for. rejectSeries gives a series whose
 * Modality or Body Part Examined is not accepted the reason each of its
 * instances would get from selectImages (the SOP class reason first, when the
 * SOP class of its instances is known and not accepted), and only the
 * instances of the other series are read and selected as above.
 */
import { RadzError } from "../errors.js";
import {
  codedLabel,
  firstNumber,
  firstString,
  sopClassName,
  strings,
  Tag,
  tagLabel,
  type DicomJsonObject,
  type TagKeyword,
} from "../dicom/index.js";
import {
  ACCEPTED_IMAGE_SOP_CLASSES,
  getNumber,
  getString,
  getStrings,
  type DicomInstance,
} from "../imaging/index.js";

export interface ImageCandidate {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  modality?: string;
  bodyPartExamined?: string;
  viewPosition?: string;
  imageType?: string[];
  numberOfFrames?: number;
  rows?: number;
  columns?: number;
  instanceNumber?: number;
}

export interface SelectionRules {
  readonly modalities: readonly string[];
  /** Accepted Body Part Examined values; '' admits an absent value. */
  readonly bodyParts: readonly string[];
  readonly maxImagesPerStudy: number;
}

export const RejectionCode = {
  NotAnImage: "not-an-accepted-image-class",
  Modality: "modality-not-accepted",
  BodyPart: "body-part-not-accepted",
  OverLimit: "over-limit",
} as const;
export type RejectionCode = (typeof RejectionCode)[keyof typeof RejectionCode];

export interface Rejection {
  sopInstanceUid: string;
  /** Human-readable; contains no PHI (SOP class, modality, body part, counts only). */
  reason: string;
  code: RejectionCode;
}

export interface SelectionResult {
  /** Per study (in order of first appearance), best first. */
  selected: ImageCandidate[];
  rejected: Rejection[];
}

/** Attributes a QIDO-RS instance search should ask for (includefield) so candidateFromDicomJson has them all. */
export const QIDO_INCLUDE_FIELDS: readonly string[] = [
  Tag.StudyInstanceUID,
  Tag.SeriesInstanceUID,
  Tag.SOPInstanceUID,
  Tag.SOPClassUID,
  Tag.Modality,
  Tag.BodyPartExamined,
  Tag.ViewPosition,
  Tag.ImageType,
  Tag.NumberOfFrames,
  Tag.Rows,
  Tag.Columns,
  Tag.InstanceNumber,
];

const norm = (s: string | undefined): string => (s ?? "").trim().toUpperCase();

const LATERAL_VIEWS: ReadonlySet<string> = new Set(["LL", "RL", "LATERAL", "LAT", "LLD", "RLD"]);

/** 0 = PA, 1 = AP, 2 = absent / other, 3 = lateral. */
export function viewRank(viewPosition: string | undefined): number {
  const v = norm(viewPosition);
  if (v === "PA") return 0;
  if (v === "AP") return 1;
  if (LATERAL_VIEWS.has(v)) return 3;
  return 2;
}

/** 0 = ORIGINAL (not SECONDARY), 1 = absent, 2 = DERIVED or SECONDARY. */
export function imageTypeRank(imageType: readonly string[] | undefined): number {
  if (imageType === undefined || imageType.length === 0 || norm(imageType[0]) === "") return 1;
  const v1 = norm(imageType[0]);
  const v2 = norm(imageType[1]);
  if (v1 === "DERIVED" || v2 === "SECONDARY") return 2;
  return v1 === "ORIGINAL" ? 0 : 1;
}

function compareCandidates(a: ImageCandidate, b: ImageCandidate): number {
  const byView = viewRank(a.viewPosition) - viewRank(b.viewPosition);
  if (byView !== 0) return byView;
  const byType = imageTypeRank(a.imageType) - imageTypeRank(b.imageType);
  if (byType !== 0) return byType;
  const proc = (c: ImageCandidate): number =>
    ACCEPTED_IMAGE_SOP_CLASSES.get(c.sopClassUid)?.forProcessing === true ? 1 : 0;
  const byClass = proc(a) - proc(b);
  if (byClass !== 0) return byClass;
  const ia = a.instanceNumber ?? Number.POSITIVE_INFINITY;
  const ib = b.instanceNumber ?? Number.POSITIVE_INFINITY;
  if (ia !== ib) return ia < ib ? -1 : 1;
  return a.sopInstanceUid < b.sopInstanceUid ? -1 : a.sopInstanceUid > b.sopInstanceUid ? 1 : 0;
}

function listing(values: readonly string[]): string {
  return values.map((v) => (v.trim() === "" ? "(absent)" : norm(v))).join(", ");
}

type Verdict = Omit<Rejection, "sopInstanceUid">;

/** The first rule an instance (or series) with these attributes fails, or null. */
function firstFailedRule(
  attrs: { sopClassUid?: string; modality?: string; bodyPartExamined?: string },
  rules: SelectionRules,
): Verdict | null {
  if (attrs.sopClassUid !== undefined && !ACCEPTED_IMAGE_SOP_CLASSES.has(attrs.sopClassUid)) {
    return {
      code: RejectionCode.NotAnImage,
      reason: `SOP class ${sopClassName(attrs.sopClassUid)} is not an accepted radiograph image class`,
    };
  }
  if (!rules.modalities.some((m) => norm(m) === norm(attrs.modality))) {
    return {
      code: RejectionCode.Modality,
      // Only a Defined Term is quoted (dicom/defined-terms.ts).
      reason: `${codedLabel("Modality", norm(attrs.modality))} is not one of ${listing(rules.modalities)}`,
    };
  }
  if (!rules.bodyParts.some((b) => norm(b) === norm(attrs.bodyPartExamined))) {
    return {
      code: RejectionCode.BodyPart,
      // Body Part Examined is often free text: its value is never quoted.
      reason:
        norm(attrs.bodyPartExamined) === ""
          ? `${tagLabel("BodyPartExamined")} is absent; accepted: ${listing(rules.bodyParts)}`
          : `${tagLabel("BodyPartExamined")} is not one of ${listing(rules.bodyParts)} (its value is not quoted)`,
    };
  }
  return null;
}

/** A study's series as Orthanc's index describes it (no instance is read). */
export interface SeriesSummary {
  seriesInstanceUid: string;
  modality?: string;
  bodyPartExamined?: string;
  seriesDescription?: string;
  numberOfInstances: number;
  /** The SOP Class UID of (one of) its instances, when known. */
  sopClassUid?: string;
}

export interface SeriesRejection {
  seriesInstanceUid: string;
  /** How many instances the series holds (all rejected with this reason). */
  instances: number;
  /** The SOP Class UID of (one of) its instances, when known. */
  sopClassUid?: string;
  code: RejectionCode;
  /** The reason selectImages gives each of its instances (no PHI). */
  reason: string;
}

/**
 * Null when the series' instances must be looked at (its Modality and Body
 * Part Examined are accepted); else the rejection every instance of it gets:
 * the SOP class reason when its SOP class is known and not accepted, else the
 * Modality or Body Part Examined reason — as selectImages would decide.
 */
export function rejectSeries(series: SeriesSummary, rules: SelectionRules): SeriesRejection | null {
  const bySeriesTags = firstFailedRule(
    { modality: series.modality, bodyPartExamined: series.bodyPartExamined },
    rules,
  );
  if (bySeriesTags === null) return null;
  const verdict = firstFailedRule(series, rules) ?? bySeriesTags;
  return {
    seriesInstanceUid: series.seriesInstanceUid,
    instances: series.numberOfInstances,
    ...(series.sopClassUid === undefined ? {} : { sopClassUid: series.sopClassUid }),
    ...verdict,
  };
}

/** Applies the selection rules to the instances of one or more studies. */
export function selectImages(
  candidates: readonly ImageCandidate[],
  rules: SelectionRules,
): SelectionResult {
  const rejected: Rejection[] = [];
  const byStudy = new Map<string, ImageCandidate[]>();

  for (const c of candidates) {
    const failed = firstFailedRule(c, rules);
    if (failed !== null) {
      rejected.push({ sopInstanceUid: c.sopInstanceUid, ...failed });
      continue;
    }
    const list = byStudy.get(c.studyInstanceUid) ?? [];
    list.push(c);
    byStudy.set(c.studyInstanceUid, list);
  }

  const selected: ImageCandidate[] = [];
  const limit = Math.max(0, Math.floor(rules.maxImagesPerStudy));
  for (const list of byStudy.values()) {
    const ranked = [...list].sort(compareCandidates);
    selected.push(...ranked.slice(0, limit));
    for (const c of ranked.slice(limit)) {
      rejected.push({
        sopInstanceUid: c.sopInstanceUid,
        code: RejectionCode.OverLimit,
        reason: `ranked below the first ${limit} image(s) of its study`,
      });
    }
  }
  return { selected, rejected };
}

function withOptionals(
  base: Pick<
    ImageCandidate,
    "studyInstanceUid" | "seriesInstanceUid" | "sopInstanceUid" | "sopClassUid"
  >,
  optionals: Omit<
    ImageCandidate,
    "studyInstanceUid" | "seriesInstanceUid" | "sopInstanceUid" | "sopClassUid"
  >,
): ImageCandidate {
  const out: ImageCandidate = { ...base };
  for (const [k, v] of Object.entries(optionals)) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** Reads one QIDO-RS instance result (DICOM JSON: 8-hex tag -> {vr, Value}). */
export function candidateFromDicomJson(json: DicomJsonObject): ImageCandidate {
  const text = (keyword: TagKeyword): string | undefined => firstString(json, Tag[keyword]);
  const num = (keyword: TagKeyword): number | undefined => firstNumber(json, Tag[keyword]);
  const required = (keyword: TagKeyword): string => {
    const v = text(keyword);
    if (v === undefined) {
      throw new RadzError("INPUT_INVALID", `QIDO-RS result lacks ${tagLabel(keyword)}`);
    }
    return v;
  };
  const imageType = strings(json, Tag.ImageType);
  return withOptionals(
    {
      studyInstanceUid: required("StudyInstanceUID"),
      seriesInstanceUid: required("SeriesInstanceUID"),
      sopInstanceUid: required("SOPInstanceUID"),
      sopClassUid: required("SOPClassUID"),
    },
    {
      modality: text("Modality"),
      bodyPartExamined: text("BodyPartExamined"),
      viewPosition: text("ViewPosition"),
      imageType: imageType.length > 0 ? imageType : undefined,
      numberOfFrames: num("NumberOfFrames"),
      rows: num("Rows"),
      columns: num("Columns"),
      instanceNumber: num("InstanceNumber"),
    },
  );
}

/** The same candidate, read from a parsed instance (files on disk, CLI). */
export function candidateFromInstance(instance: DicomInstance): ImageCandidate {
  const ds = instance.dataset;
  const imageType = getStrings(ds, "ImageType");
  return withOptionals(
    {
      studyInstanceUid: instance.studyInstanceUid,
      seriesInstanceUid: instance.seriesInstanceUid,
      sopInstanceUid: instance.sopInstanceUid,
      sopClassUid: instance.sopClassUid,
    },
    {
      modality: getString(ds, "Modality"),
      bodyPartExamined: getString(ds, "BodyPartExamined"),
      viewPosition: getString(ds, "ViewPosition"),
      imageType: imageType.length > 0 ? imageType : undefined,
      numberOfFrames: getNumber(ds, "NumberOfFrames"),
      rows: getNumber(ds, "Rows"),
      columns: getNumber(ds, "Columns"),
      instanceNumber: getNumber(ds, "InstanceNumber"),
    },
  );
}
