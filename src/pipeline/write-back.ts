/**
 * Writing a study's result objects (SR + summary image) back into the PACS,
 * idempotently:
 *
 * 1. findEarlierResults: the study's SR- and OT-modality series (the SR; the
 *    summary image, in a series of its own since localisation) — from the
 *    series listing the job made before selection (Orthanc's index), else
 *    with two QIDO-RS series searches — then their instances with SOP Class,
 *    Manufacturer's Model Name and Content Date/Time; report/previous-results.ts
 *    picks the earlier RadZ objects (not the current key's own UIDs) and the
 *    newest earlier SR, which the new SR names as predecessor. Only SR and OT
 *    series are read: a new study (no SR or OT series yet) costs no request.
 * 2. storeResultObjects: one STOW-RS request with every object, sent to the
 *    study's own URL (/studies/{uid}: a server stores there only instances of
 *    that study). An object listed in the response's Referenced SOP Sequence
 *    is in the study: that answer is the verification, and no query follows
 *    (a QIDO-RS listing after every store cost Orthanc about half the CPU of
 *    the store itself; docs/benchmarks.md, "PACS footprint"). Only the
 *    series of objects the server did not acknowledge are listed with QIDO-RS.
 *    An unacknowledged object (Failed SOP Sequence, or a STOW_FAILED answer
 *    such as 409 Conflict from a PACS that refuses a re-sent SOP Instance UID)
 *    counts as stored when QIDO shows it: the UIDs are deterministic for
 *    (study, bundle id, version, label set), so an object with that UID is
 *    the result of an earlier attempt of the same key (e.g. the process was
 *    killed between STOW-RS and the job commit). Orthanc 1.10 with
 *    OverwriteInstances=false (its default) answers such a re-send with HTTP
 *    200, lists the instance as stored, and keeps the first copy.
 * 3. deleteEarlierResults (report.previousResults = "delete"): the earlier
 *    objects are deleted through Orthanc's REST API (DELETE /instances/{id}),
 *    only after step 2 succeeded, so a crash never leaves the study without
 *    a result. A crash between 2 and 3 is repaired by the next run of the
 *    study, which finds the same earlier objects again.
 */
import { firstString, Tag, type DicomJsonObject } from "../dicom/index.js";
import type { DicomWebClient, StoreInstancesResult } from "../dicomweb/index.js";
import { RadzError, toRadzError } from "../errors.js";
import type { Logger } from "../observability/index.js";
import type { OrthancClient } from "../orthanc/index.js";
import {
  findPreviousResults,
  type PreviousResults,
  type SourceImageRef,
  type StudyInstanceInfo,
} from "../report/index.js";
import type { Stopwatch } from "./stopwatch.js";

/** Attributes asked for per instance of an SR series (beyond the QIDO defaults). */
export const RESULT_INCLUDE_FIELDS: readonly string[] = [
  Tag.SOPClassUID,
  Tag.SeriesInstanceUID,
  Tag.ManufacturerModelName,
  Tag.ContentDate,
  Tag.ContentTime,
];

/** One object to store: Part-10 bytes and its identity. */
export interface ResultObject {
  readonly part10: Uint8Array;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
}

export interface StoreOutcome {
  /** Objects the server did not acknowledge but QIDO shows in the study (stored by an earlier attempt). */
  readonly alreadyPresent: string[];
  /** Warnings from the STOW-RS response. */
  readonly warnings: string[];
}

function instanceInfo(json: DicomJsonObject, studyUid: string): StudyInstanceInfo | null {
  const sopInstanceUid = firstString(json, Tag.SOPInstanceUID);
  const seriesInstanceUid = firstString(json, Tag.SeriesInstanceUID);
  const sopClassUid = firstString(json, Tag.SOPClassUID);
  if (!sopInstanceUid || !seriesInstanceUid || !sopClassUid) return null;
  return {
    studyInstanceUid: studyUid,
    seriesInstanceUid,
    sopInstanceUid,
    sopClassUid,
    manufacturerModelName: firstString(json, Tag.ManufacturerModelName),
    contentDate: firstString(json, Tag.ContentDate),
    contentTime: firstString(json, Tag.ContentTime),
  };
}

/** The Modalities of the series RadZ writes its results into (SR; OT for the summary image). */
const RESULT_MODALITIES: readonly string[] = ["SR", "OT"];

/**
 * Earlier RadZ results in the study (see the file comment, step 1).
 * `studySeries`: the study's series with their Modality as the job already
 * listed them (Orthanc's index, read before selection); given, the SR and OT
 * series are taken from it and no QIDO-RS series search is made — a study
 * without SR or OT series (a new study) costs no request at all.
 */
export async function findEarlierResults(
  dicomweb: Pick<DicomWebClient, "searchForSeries" | "seriesInstances">,
  studyUid: string,
  current: { readonly sopInstanceUid: string; readonly summarySopInstanceUid: string },
  studySeries?: readonly { readonly seriesInstanceUid: string; readonly modality?: string }[],
): Promise<PreviousResults> {
  const seriesUids = studySeries
    ? studySeries
        .filter((s) => s.modality !== undefined && RESULT_MODALITIES.includes(s.modality))
        .map((s) => s.seriesInstanceUid)
    : (
        await Promise.all(
          RESULT_MODALITIES.map((m) => dicomweb.searchForSeries(studyUid, { [Tag.Modality]: m })),
        )
      )
        .flat()
        .map((s) => firstString(s, Tag.SeriesInstanceUID));
  const instances: StudyInstanceInfo[] = [];
  for (const seriesUid of seriesUids) {
    if (!seriesUid) continue;
    for (const json of await dicomweb.seriesInstances(studyUid, seriesUid, RESULT_INCLUDE_FIELDS)) {
      const info = instanceInfo(json, studyUid);
      if (info) instances.push(info);
    }
  }
  return findPreviousResults(instances, current);
}

/** STOW-RS all objects in one request; each is in the study by the answer, or else by QIDO-RS (file comment, step 2). */
export async function storeResultObjects(
  dicomweb: Pick<DicomWebClient, "storeInstances" | "seriesInstances">,
  studyUid: string,
  objects: readonly ResultObject[],
  clock: Stopwatch,
): Promise<StoreOutcome> {
  if (objects.length === 0) throw new RadzError("INTERNAL", "nothing to store");
  let stored: StoreInstancesResult | null = null;
  let refusal: RadzError | null = null;
  try {
    stored = await clock.timeAsync("stow", () =>
      dicomweb.storeInstances(
        objects.map((o) => o.part10),
        studyUid,
      ),
    );
  } catch (err) {
    const e = toRadzError(err);
    // Transport and server errors (unreachable, 5xx, timeouts) are retried by the runner;
    // a refusal of the instances themselves may be a re-send of what is already there.
    if (e.code !== "STOW_FAILED") throw e;
    refusal = e;
  }

  // Acknowledged in Referenced SOP Sequence = stored in the study; the rest are looked for.
  const acknowledged = new Set(stored?.stored ?? []);
  const visible = new Set(acknowledged);
  const unacknowledged = objects.filter((o) => !acknowledged.has(o.sopInstanceUid));
  if (unacknowledged.length > 0) {
    await clock.timeAsync("verify", async () => {
      for (const seriesUid of new Set(unacknowledged.map((o) => o.seriesInstanceUid))) {
        for (const json of await dicomweb.seriesInstances(studyUid, seriesUid)) {
          const uid = firstString(json, Tag.SOPInstanceUID);
          if (uid) visible.add(uid);
        }
      }
    });
  }

  const missing = objects.filter((o) => !visible.has(o.sopInstanceUid));
  if (missing.length > 0) {
    const reasons =
      refusal?.message ??
      (stored?.failed ?? [])
        .filter((f) => missing.some((m) => m.sopInstanceUid === f.sopInstanceUid))
        .map((f) => f.reason)
        .join("; ");
    throw new RadzError(
      "STOW_FAILED",
      `${missing.length} of ${objects.length} result object(s) are not in the study after STOW-RS${
        reasons ? `: ${reasons}` : ""
      }`,
      refusal ? { cause: refusal } : {},
    );
  }
  return {
    alreadyPresent: objects
      .filter((o) => !acknowledged.has(o.sopInstanceUid))
      .map((o) => o.sopInstanceUid),
    warnings: stored?.warnings ?? [],
  };
}

/** Deletes earlier results through Orthanc's REST API (file comment, step 3). Returns how many were deleted. */
export async function deleteEarlierResults(
  orthanc: Pick<OrthancClient, "studyInstances" | "deleteInstance">,
  orthancStudyId: string,
  earlier: readonly SourceImageRef[],
  logger: Logger,
): Promise<number> {
  if (earlier.length === 0) return 0;
  const wanted = new Set(earlier.map((o) => o.sopInstanceUid));
  let deleted = 0;
  for (const instance of await orthanc.studyInstances(orthancStudyId)) {
    if (!wanted.has(instance.sopInstanceUid)) continue;
    await orthanc.deleteInstance(instance.orthancId);
    deleted++;
  }
  logger.info({ deleted, earlier: earlier.length }, "deleted earlier RadZ results");
  return deleted;
}
