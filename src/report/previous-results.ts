/**
 * Earlier RadZ results in a study, found among the study's instances (as a
 * QIDO-RS search lists them), for re-runs:
 *
 * - the newest earlier RadZ SR becomes the new SR's predecessor (Predecessor
 *   Documents Sequence), so a reader can follow the chain;
 * - with `report.previousResults: "delete"`, every earlier RadZ object (SR
 *   and summary image) is removed once the new one is stored.
 *
 * "RadZ object" = an instance whose Manufacturer's Model Name is
 * RADZ_EQUIPMENT_MODEL_NAME (codes.ts) and whose SOP Class is Comprehensive SR,
 * Comprehensive 3D SR (what RadZ wrote before localisation) or Secondary Capture. Both builders always write that model name (it is not
 * configurable, unlike Manufacturer and Series Description), so the mark
 * survives configuration changes between runs. "Earlier" = not one of the
 * UIDs the current key (study, bundle id, version, label set) gives: a re-run
 * with the same key re-sends its own UIDs and is not its own predecessor.
 *
 * The PACS is the source of truth here, not the job store: this works after
 * the job database was lost and for results written by another RadZ process.
 */
import { SopClassUid } from "../dicom/index.js";
import { RADZ_EQUIPMENT_MODEL_NAME } from "./codes.js";
import type { SourceImageRef } from "./structured-report.js";

/** What a QIDO-RS instance search says about one instance of the study. */
export interface StudyInstanceInfo {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly manufacturerModelName?: string | undefined;
  /** DA, e.g. "20240115". */
  readonly contentDate?: string | undefined;
  /** TM, e.g. "093000" or "093000.123". */
  readonly contentTime?: string | undefined;
}

export interface PreviousResults {
  /** The newest earlier RadZ SR (by Content Date/Time), or null when there is none. */
  readonly predecessor: SourceImageRef | null;
  /** Every earlier RadZ object (SRs and summary images), oldest first. */
  readonly objects: readonly SourceImageRef[];
}

/** SRs RadZ writes (Comprehensive SR; Comprehensive 3D SR before localisation). */
const RESULT_SR_CLASSES: ReadonlySet<string> = new Set([
  SopClassUid.ComprehensiveSRStorage,
  SopClassUid.Comprehensive3DSRStorage,
]);

const RESULT_SOP_CLASSES: ReadonlySet<string> = new Set([
  ...RESULT_SR_CLASSES,
  SopClassUid.SecondaryCaptureImageStorage,
]);

/** True when the instance is an SR or summary image that RadZ wrote. */
export function isRadzResult(instance: StudyInstanceInfo): boolean {
  return (
    RESULT_SOP_CLASSES.has(instance.sopClassUid) &&
    instance.manufacturerModelName?.trim() === RADZ_EQUIPMENT_MODEL_NAME
  );
}

/** Sortable "YYYYMMDDHHMMSS.FFFFFF" from DA + TM (missing parts sort first). */
function contentStamp(i: StudyInstanceInfo): string {
  const date = (i.contentDate ?? "").trim().padEnd(8, "0");
  const [whole = "", fraction = ""] = (i.contentTime ?? "").trim().replace(/:/g, "").split(".");
  return `${date}${whole.padEnd(6, "0")}.${fraction.padEnd(6, "0")}`;
}

function ref(i: StudyInstanceInfo): SourceImageRef {
  return {
    studyInstanceUid: i.studyInstanceUid,
    seriesInstanceUid: i.seriesInstanceUid,
    sopInstanceUid: i.sopInstanceUid,
    sopClassUid: i.sopClassUid,
  };
}

/**
 * Earlier RadZ results among `instances`, given the UIDs of the objects the
 * current run writes (reportUids: the SR and the summary image).
 */
export function findPreviousResults(
  instances: readonly StudyInstanceInfo[],
  current: { readonly sopInstanceUid: string; readonly summarySopInstanceUid: string },
): PreviousResults {
  const mine = new Set([current.sopInstanceUid, current.summarySopInstanceUid]);
  const seen = new Set<string>();
  const earlier = instances
    .filter((i) => isRadzResult(i) && !mine.has(i.sopInstanceUid))
    .filter((i) => !seen.has(i.sopInstanceUid) && seen.add(i.sopInstanceUid))
    .map((i) => ({ info: i, stamp: contentStamp(i) }))
    // Oldest first; equal stamps keep a stable order by UID.
    .sort((a, b) =>
      a.stamp === b.stamp
        ? a.info.sopInstanceUid.localeCompare(b.info.sopInstanceUid)
        : a.stamp < b.stamp
          ? -1
          : 1,
    );
  const srs = earlier.filter((e) => RESULT_SR_CLASSES.has(e.info.sopClassUid));
  const newest = srs[srs.length - 1];
  return {
    predecessor: newest === undefined ? null : ref(newest.info),
    objects: earlier.map((e) => ref(e.info)),
  };
}
