/**
 * In-memory stand-ins for the Orthanc REST and DICOMweb calls intake makes,
 * so the sweep, backfill and re-processing check are tested without servers.
 */
import type { DicomJsonObject } from "../../src/dicom/index.js";
import type { QidoQuery } from "../../src/dicomweb/index.js";
import { RadzError } from "../../src/errors.js";

export const DX = "1.2.840.10008.5.1.4.1.1.1.1";
export const SR = "1.2.840.10008.5.1.4.1.1.88.34";

export interface FakeInstance {
  series: string;
  sop: string;
  sopClass?: string;
  modality?: string;
  bodyPart?: string;
  view?: string;
}

export interface FakeStudy {
  uid: string;
  orthancId: string;
  date: string;
  modalities: string[];
  series: string[];
  instances: FakeInstance[];
}

const str = (vr: string, ...v: string[]) => ({ vr, Value: v });

/** A fake PACS answering the few QIDO/REST calls intake makes; counts calls. */
export class FakePacs {
  studies: FakeStudy[] = [];
  calls = {
    searchForStudies: 0,
    searchForSeries: 0,
    searchForInstances: 0,
    seriesInstances: 0,
    studySeries: 0,
    sopClass: 0,
    lookup: 0,
    study: 0,
  };
  failNext: RadzError | null = null;

  add(s: Partial<FakeStudy> & { uid: string }): FakeStudy {
    const full: FakeStudy = {
      orthancId: `oid-${s.uid}`,
      date: "20240105",
      modalities: ["DX"],
      series: [],
      instances: [],
      ...s,
    };
    this.studies.push(full);
    return full;
  }

  private maybeFail(): void {
    const f = this.failNext;
    if (f) {
      this.failNext = null;
      throw f;
    }
  }

  async searchForStudies(query?: QidoQuery): Promise<DicomJsonObject[]> {
    this.calls.searchForStudies++;
    this.maybeFail();
    const date = query?.StudyDate ?? "";
    const [from, to] = date.includes("-") ? date.split("-") : [date, date];
    const limit = Number(query?.limit ?? 1e9);
    const offset = Number(query?.offset ?? 0);
    return this.studies
      .filter((s) => s.date >= from! && s.date <= to!)
      .slice(offset, offset + limit)
      .map((s) => ({
        "0020000D": str("UI", s.uid),
        ...(s.modalities.length ? { "00080061": str("CS", ...s.modalities) } : {}),
      }));
  }

  async searchForSeries(studyUid: string, query?: QidoQuery): Promise<DicomJsonObject[]> {
    this.calls.searchForSeries++;
    this.maybeFail();
    const s = this.studies.find((x) => x.uid === studyUid);
    const want = query?.["0020000E"];
    return (s?.series ?? [])
      .filter((u) => want === undefined || u === want)
      .map((u) => ({ "0020000E": str("UI", u) }));
  }

  async searchForInstances(studyUid: string): Promise<DicomJsonObject[]> {
    this.calls.searchForInstances++;
    this.maybeFail();
    return this.instanceJson(studyUid);
  }

  /** DicomWebClient.seriesInstances: the series' instances as DICOM JSON. */
  async seriesInstances(studyUid: string, seriesUid: string): Promise<DicomJsonObject[]> {
    this.calls.seriesInstances++;
    this.maybeFail();
    return this.instanceJson(studyUid, seriesUid);
  }

  /** OrthancClient.studySeries: series from the instances (tags of the first one). */
  async studySeries(orthancId: string) {
    this.calls.studySeries++;
    this.maybeFail();
    const s = this.studies.find((x) => x.orthancId === orthancId);
    if (!s) throw new RadzError("ORTHANC_NOT_FOUND", "no such study");
    const uids = [...new Set(s.instances.map((i) => i.series))];
    return uids.map((uid) => {
      const inSeries = s.instances.filter((i) => i.series === uid);
      const first = inSeries[0]!;
      return {
        orthancId: `series-${uid}`,
        seriesInstanceUid: uid,
        modality: first.modality ?? "DX",
        bodyPartExamined: first.bodyPart ?? "CHEST",
        seriesNumber: null,
        seriesDescription: null,
        instanceIds: inSeries.map((i) => `inst-${i.sop}`),
        parentStudy: orthancId,
      };
    });
  }

  /** OrthancClient.instanceSopClassUid. */
  async instanceSopClassUid(orthancId: string): Promise<string | null> {
    this.calls.sopClass++;
    this.maybeFail();
    for (const s of this.studies)
      for (const i of s.instances) if (`inst-${i.sop}` === orthancId) return i.sopClass ?? DX;
    return null;
  }

  private instanceJson(studyUid: string, seriesUid?: string): DicomJsonObject[] {
    const s = this.studies.find((x) => x.uid === studyUid);
    return (s?.instances ?? [])
      .filter((i) => seriesUid === undefined || i.series === seriesUid)
      .map((i) => ({
        "0020000D": str("UI", studyUid),
        "0020000E": str("UI", i.series),
        "00080018": str("UI", i.sop),
        "00080016": str("UI", i.sopClass ?? DX),
        "00080060": str("CS", i.modality ?? "DX"),
        "00180015": str("CS", i.bodyPart ?? "CHEST"),
        ...(i.view ? { "00185101": str("CS", i.view) } : {}),
      }));
  }

  async findStudyByUid(uid: string): Promise<string | null> {
    this.calls.lookup++;
    this.maybeFail();
    return this.studies.find((s) => s.uid === uid)?.orthancId ?? null;
  }

  async study(orthancId: string) {
    this.calls.study++;
    this.maybeFail();
    const s = this.studies.find((x) => x.orthancId === orthancId);
    if (!s) throw new RadzError("ORTHANC_NOT_FOUND", "no such study");
    return {
      orthancId,
      studyInstanceUid: s.uid,
      seriesIds: [],
      patientOrthancId: "p",
      lastUpdate: "20240105T000000",
      isStable: true,
    };
  }
}
