/**
 * What the Orthanc REST client returns. Deliberately narrow: no patient-level
 * tags (PatientMainDicomTags) ever leave this module, so nothing downstream can
 * log them by accident. Resources are identified by Orthanc ID or DICOM UID.
 */

export interface OrthancSystem {
  /** "1.10.1", "1.12.4" or "mainline". */
  readonly version: string;
  readonly apiVersion: number;
  readonly name: string;
  /** The DICOMweb plugin ("dicom-web") is loaded. */
  readonly dicomWebPlugin: boolean;
  /** Labels on resources are available (Orthanc >= 1.12.0 with a backend that has them). */
  readonly supportsLabels: boolean;
}

export const ResourceType = {
  Patient: "Patient",
  Study: "Study",
  Series: "Series",
  Instance: "Instance",
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

export interface OrthancChange {
  readonly seq: number;
  /** e.g. "StableStudy" (see ChangeType). */
  readonly changeType: string;
  /** "Patient" | "Study" | "Series" | "Instance" (string: future types pass through). */
  readonly resourceType: string;
  /** Orthanc ID of the resource. */
  readonly resourceId: string;
  /** Orthanc's timestamp, "YYYYMMDDTHHMMSS". */
  readonly date: string;
}

export interface OrthancChangesPage {
  readonly changes: OrthancChange[];
  /** Sequence number to pass as `since` next time. */
  readonly last: number;
  /** No more changes after `last` right now. */
  readonly done: boolean;
}

/**
 * What a person recognises a study by (issue 21): PHI, read from Orthanc for
 * the worklist on demand and never stored, logged or emitted by RadZ. Values
 * as Orthanc holds them (Patient Name "FAMILY^GIVEN", Study Date "YYYYMMDD");
 * null when the study has no such tag.
 */
export interface OrthancStudyIdentity {
  readonly patientName: string | null;
  readonly patientId: string | null;
  readonly accessionNumber: string | null;
  readonly studyDescription: string | null;
  readonly studyDate: string | null;
}

export interface OrthancStudy {
  readonly orthancId: string;
  readonly studyInstanceUid: string;
  readonly seriesIds: string[];
  readonly patientOrthancId: string;
  /** Orthanc's timestamp, "YYYYMMDDTHHMMSS". */
  readonly lastUpdate: string;
  readonly isStable: boolean;
}

export interface OrthancSeries {
  readonly orthancId: string;
  readonly seriesInstanceUid: string;
  readonly modality: string | null;
  readonly bodyPartExamined: string | null;
  readonly seriesNumber: string | null;
  readonly seriesDescription: string | null;
  readonly instanceIds: string[];
  readonly parentStudy: string;
}

export interface OrthancInstance {
  readonly orthancId: string;
  readonly sopInstanceUid: string;
  readonly instanceNumber: string | null;
  readonly parentSeries: string;
  readonly fileSize: number | null;
  readonly indexInSeries: number | null;
}

export interface OrthancUploadResult {
  readonly orthancId: string;
  readonly parentStudy: string;
  /** "Success" or "AlreadyStored". */
  readonly status: string;
}
