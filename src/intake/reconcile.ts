/**
 * What the reconciliation sweep and `radz backfill` share: find studies over
 * QIDO-RS by Study Date, and decide for each whether it needs a job.
 *
 * A study needs a job when
 *   1. no job knows its Study Instance UID (JobStore.getByStudyUid), and
 *   2. Orthanc knows it (POST /tools/lookup) and no job has its Orthanc ID, and
 *   3. it holds no *current* RadZ SR: the results series whose UID RadZ derives
 *      from (study, bundle id, version, label set) is absent.
 * Studies whose ModalitiesInStudy (when the server lists it) share nothing
 * with the accepted modalities are not enqueued: they could only be skipped.
 */
import { firstString, strings, Tag } from "../dicom/index.js";
import type { DicomWebClient } from "../dicomweb/index.js";
import { RadzError } from "../errors.js";
import type { JobSource, JobStore } from "../jobs/index.js";
import type { OrthancClient } from "../orthanc/index.js";

/** A study found over QIDO-RS (UIDs and modalities only: no PHI is kept). */
export interface FoundStudy {
  readonly studyInstanceUid: string;
  /** Empty when the server did not list ModalitiesInStudy. */
  readonly modalities: readonly string[];
}

export type ReconcileOutcome =
  "has-job" | "has-report" | "not-eligible" | "not-in-orthanc" | "enqueued" | "would-enqueue";

export interface ReconcilerOptions {
  readonly store: JobStore;
  readonly orthanc: Pick<OrthancClient, "findStudyByUid">;
  readonly dicomweb: Pick<DicomWebClient, "searchForSeries">;
  /** Modalities worth a job (selection.modalities); empty = all. */
  readonly modalities: readonly string[];
  /** The current RadZ results series UID of a study (reportUids(study, model).seriesInstanceUid). */
  readonly currentReportSeriesUid?: (studyInstanceUid: string) => string;
}

export class StudyReconciler {
  private readonly modalities: ReadonlySet<string>;

  constructor(private readonly o: ReconcilerOptions) {
    this.modalities = new Set(o.modalities.map((m) => m.trim().toUpperCase()));
  }

  /** Cheap checks without network I/O: a known job, or modalities that cannot be read. */
  precheck(study: FoundStudy): ReconcileOutcome | null {
    if (this.o.store.getByStudyUid(study.studyInstanceUid)) return "has-job";
    if (
      this.modalities.size > 0 &&
      study.modalities.length > 0 &&
      !study.modalities.some((m) => this.modalities.has(m.trim().toUpperCase()))
    ) {
      return "not-eligible";
    }
    return null;
  }

  /** Decides and, unless `dryRun`, enqueues (source `source`). */
  async reconcile(
    study: FoundStudy,
    source: JobSource,
    dryRun = false,
  ): Promise<{ outcome: ReconcileOutcome; orthancStudyId?: string }> {
    const quick = this.precheck(study);
    if (quick) return { outcome: quick };
    const orthancStudyId = await this.o.orthanc.findStudyByUid(study.studyInstanceUid);
    if (orthancStudyId === null) return { outcome: "not-in-orthanc" };
    const existing = this.o.store.getByStudy(orthancStudyId);
    if (existing) {
      // Remember the UID so the next sweep skips this study without a look-up.
      if (existing.studyInstanceUid === null && !dryRun)
        this.o.store.setStudyInstanceUid(existing.id, study.studyInstanceUid);
      return { outcome: "has-job", orthancStudyId };
    }
    if (this.o.currentReportSeriesUid) {
      const series = this.o.currentReportSeriesUid(study.studyInstanceUid);
      const found = await this.o.dicomweb.searchForSeries(study.studyInstanceUid, {
        [Tag.SeriesInstanceUID]: series,
      });
      if (found.some((s) => firstString(s, Tag.SeriesInstanceUID) === series))
        return { outcome: "has-report", orthancStudyId };
    }
    if (dryRun) return { outcome: "would-enqueue", orthancStudyId };
    const [res] = this.o.store.enqueueBatch([orthancStudyId], source);
    if (res?.created) this.o.store.setStudyInstanceUid(res.job.id, study.studyInstanceUid);
    return { outcome: res?.created ? "enqueued" : "has-job", orthancStudyId };
  }
}

/** DICOM DA for a local calendar day: YYYYMMDD. */
export function dicomDate(d: Date): string {
  const p = (n: number, w: number) => String(n).padStart(w, "0");
  return `${p(d.getFullYear(), 4)}${p(d.getMonth() + 1, 2)}${p(d.getDate(), 2)}`;
}

/** Parses YYYY-MM-DD or YYYYMMDD as a local calendar day; INPUT_INVALID otherwise. */
export function parseDay(text: string, name = "date"): Date {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text.trim());
  const d = m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
  if (!m || !d || dicomDate(d) !== `${m[1]}${m[2]}${m[3]}`) {
    throw new RadzError("INPUT_INVALID", `${name} must be a date YYYY-MM-DD`);
  }
  return d;
}

/** The calendar days from `from` to `to` inclusive, as YYYYMMDD. */
export function daysBetween(from: Date, to: Date): string[] {
  const out: string[] = [];
  const d = new Date(from.getFullYear(), from.getMonth(), from.getDate());
  const end = dicomDate(to);
  for (let guard = 0; guard < 366 * 200; guard++) {
    const s = dicomDate(d);
    if (s > end) break;
    out.push(s);
    d.setDate(d.getDate() + 1);
  }
  return out;
}

/**
 * QIDO-RS Search for Studies with a StudyDate (single day or range "A-B"),
 * paged with limit/offset. Yields pages of found studies.
 */
export async function* searchStudiesByDate(
  dicomweb: Pick<DicomWebClient, "searchForStudies">,
  studyDate: string,
  pageSize = 200,
): AsyncGenerator<FoundStudy[]> {
  for (let offset = 0; ; offset += pageSize) {
    const page = await dicomweb.searchForStudies({
      StudyDate: studyDate,
      limit: String(pageSize),
      offset: String(offset),
      includefield: Tag.ModalitiesInStudy,
    });
    const found: FoundStudy[] = [];
    for (const s of page) {
      const uid = firstString(s, Tag.StudyInstanceUID);
      if (uid === undefined) continue;
      found.push({ studyInstanceUid: uid, modalities: strings(s, Tag.ModalitiesInStudy) });
    }
    if (found.length > 0) yield found;
    if (page.length < pageSize) return;
  }
}
