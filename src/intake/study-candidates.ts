/**
 * The instances of a study that can be eligible, read series first
 * (selection.ts): the study's series from Orthanc's index (Modality, Body
 * Part Examined, Series Description, number of instances — no file is read),
 * and instances only of the series whose Modality and Body Part Examined are
 * accepted. A skipped CT or MR study costs Orthanc one index query per study
 * plus one per series (the SOP class of one of its instances, for the
 * recorded reason), however many instances it has.
 */
import type { DicomWebClient } from "../dicomweb/index.js";
import type { OrthancClient } from "../orthanc/index.js";
import {
  candidateFromDicomJson,
  QIDO_INCLUDE_FIELDS,
  rejectSeries,
  type ImageCandidate,
  type SelectionRules,
  type SeriesRejection,
} from "./selection.js";

export interface StudyCandidateSources {
  readonly orthanc: Pick<OrthancClient, "studySeries" | "instanceSopClassUid">;
  readonly dicomweb: Pick<DicomWebClient, "seriesInstances">;
}

export interface StudyCandidates {
  /** The instances of the series that can hold an eligible image (for selectImages). */
  readonly candidates: ImageCandidate[];
  /** The series that cannot, with the reason each of their instances gets. */
  readonly rejectedSeries: SeriesRejection[];
  /** Instances in the study, all series together. */
  readonly instanceCount: number;
  /** Every series of the study with its Modality (from the same index listing). */
  readonly series: readonly { readonly seriesInstanceUid: string; readonly modality?: string }[];
}

export interface ReadCandidatesOptions {
  /**
   * An instance QIDO-RS or WADO-RS returned without its identifying UIDs:
   * "throw" (INPUT_INVALID, the default) or "skip" it (it cannot be selected anyway).
   */
  readonly unreadable?: "throw" | "skip";
}

export async function readStudyCandidates(
  sources: StudyCandidateSources,
  orthancStudyId: string,
  studyInstanceUid: string,
  rules: SelectionRules,
  options: ReadCandidatesOptions = {},
): Promise<StudyCandidates> {
  const candidates: ImageCandidate[] = [];
  const rejectedSeries: SeriesRejection[] = [];
  let instanceCount = 0;
  const listed = await sources.orthanc.studySeries(orthancStudyId);
  for (const series of listed) {
    instanceCount += series.instanceIds.length;
    const summary = {
      seriesInstanceUid: series.seriesInstanceUid,
      modality: series.modality ?? undefined,
      bodyPartExamined: series.bodyPartExamined ?? undefined,
      seriesDescription: series.seriesDescription ?? undefined,
      numberOfInstances: series.instanceIds.length,
    };
    if (rejectSeries(summary, rules) !== null) {
      // Rejected: the SOP class (from the index) decides which reason it records.
      const first = series.instanceIds[0];
      const sopClassUid =
        first === undefined ? null : await sources.orthanc.instanceSopClassUid(first);
      rejectedSeries.push(
        rejectSeries({ ...summary, ...(sopClassUid ? { sopClassUid } : {}) }, rules)!,
      );
      continue;
    }
    const found = await sources.dicomweb.seriesInstances(
      studyInstanceUid,
      series.seriesInstanceUid,
      QIDO_INCLUDE_FIELDS,
    );
    for (const json of found) {
      if (options.unreadable === "skip") {
        try {
          candidates.push(candidateFromDicomJson(json));
        } catch {
          // Without its identifying UIDs an instance cannot be selected.
        }
      } else {
        candidates.push(candidateFromDicomJson(json));
      }
    }
  }
  return {
    candidates,
    rejectedSeries,
    instanceCount,
    series: listed.map((s) => ({
      seriesInstanceUid: s.seriesInstanceUid,
      ...(s.modality ? { modality: s.modality } : {}),
    })),
  };
}
