/**
 * Writes a Digital X-Ray Image Storage - For Presentation instance
 * (SOP Class 1.2.840.10008.5.1.4.1.1.1.1, PS3.3 A.26) as DICOM Part-10 bytes,
 * Explicit VR Little Endian, with dcmjs.
 */
import { SopClassUid, TransferSyntaxUid } from "../dicom/index.js";
import { dcmjsData, type NaturalDataset } from "./dcmjs-data.js";
import {
  SYNTHETIC_IMPLEMENTATION_CLASS_UID,
  SYNTHETIC_IMPLEMENTATION_VERSION_NAME,
} from "./uids.js";

export interface DxPatientStudy {
  readonly patientName: string;
  readonly patientId: string;
  readonly patientBirthDate: string;
  readonly patientSex: "M" | "F" | "O";
  readonly accessionNumber: string;
  readonly studyInstanceUid: string;
  readonly studyDate: string;
  readonly studyTime: string;
  readonly studyId: string;
  readonly referringPhysicianName: string;
}

export interface DxImageAttributes extends DxPatientStudy {
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly frameOfReferenceUid: string;
  readonly seriesNumber: number;
  readonly instanceNumber: number;
  readonly rows: number;
  readonly columns: number;
  readonly bitsStored: number;
  /** Square pixel spacing in mm at the detector. */
  readonly pixelSpacingMm: number;
  readonly windowCenter: number;
  readonly windowWidth: number;
  /** Stored values, rows x columns, MONOCHROME2. */
  readonly pixels: Uint16Array;
  /** DX Detector ID (default "SYNTH-1"). */
  readonly detectorId?: string;
  /** Whether the pixels carry burned-in text or markers (default false). */
  readonly burnedInAnnotation?: boolean;
}

/** Decimal string (DS) of at most 16 characters. */
function ds(value: number): string {
  const s = String(Number(value.toPrecision(10)));
  return s.length <= 16 ? s : value.toExponential(8);
}

/** Code Sequence item. */
function code(value: string, scheme: string, meaning: string): NaturalDataset {
  return { CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: meaning };
}

export function writeDxForPresentation(a: DxImageAttributes): Uint8Array {
  if (a.pixels.length !== a.rows * a.columns) {
    throw new RangeError(`pixels has ${a.pixels.length} values, expected ${a.rows * a.columns}`);
  }
  const spacing = ds(a.pixelSpacingMm);
  const pixelBytes = new Uint8Array(
    a.pixels.buffer,
    a.pixels.byteOffset,
    a.pixels.byteLength,
  ).slice().buffer;
  const dataset: NaturalDataset = {
    // SOP Common
    SpecificCharacterSet: "ISO_IR 192",
    SOPClassUID: SopClassUid.DigitalXRayImageStorageForPresentation,
    SOPInstanceUID: a.sopInstanceUid,
    InstanceCreationDate: a.studyDate,
    InstanceCreationTime: a.studyTime,
    // Patient
    PatientName: [{ Alphabetic: a.patientName }],
    PatientID: a.patientId,
    PatientBirthDate: a.patientBirthDate,
    PatientSex: a.patientSex,
    PatientIdentityRemoved: "NO",
    // General Study
    StudyInstanceUID: a.studyInstanceUid,
    StudyDate: a.studyDate,
    StudyTime: a.studyTime,
    ReferringPhysicianName: [{ Alphabetic: a.referringPhysicianName }],
    StudyID: a.studyId,
    AccessionNumber: a.accessionNumber,
    StudyDescription: "CHEST PA",
    // General Series + DX Series
    Modality: "DX",
    SeriesInstanceUID: a.seriesInstanceUid,
    SeriesNumber: String(a.seriesNumber),
    SeriesDate: a.studyDate,
    SeriesTime: a.studyTime,
    SeriesDescription: "CHEST PA",
    BodyPartExamined: "CHEST",
    PresentationIntentType: "FOR PRESENTATION",
    // Frame of Reference
    FrameOfReferenceUID: a.frameOfReferenceUid,
    PositionReferenceIndicator: "",
    // General Equipment
    Manufacturer: "RadZ synthetic",
    ManufacturerModelName: "RadZ phantom generator",
    SoftwareVersions: "1",
    InstitutionName: "RadZ synthetic data",
    // General Image + DX Image
    InstanceNumber: String(a.instanceNumber),
    PatientOrientation: ["L", "F"],
    ContentDate: a.studyDate,
    ContentTime: a.studyTime,
    AcquisitionDate: a.studyDate,
    AcquisitionTime: a.studyTime,
    ImageType: ["ORIGINAL", "PRIMARY"],
    BurnedInAnnotation: a.burnedInAnnotation ? "YES" : "NO",
    LossyImageCompression: "00",
    PixelIntensityRelationship: "LIN",
    PixelIntensityRelationshipSign: 1,
    RescaleIntercept: "0",
    RescaleSlope: "1",
    RescaleType: "US",
    PresentationLUTShape: "IDENTITY",
    CalibrationImage: "NO",
    // Image Pixel
    SamplesPerPixel: 1,
    PhotometricInterpretation: "MONOCHROME2",
    Rows: a.rows,
    Columns: a.columns,
    BitsAllocated: 16,
    BitsStored: a.bitsStored,
    HighBit: a.bitsStored - 1,
    PixelRepresentation: 0,
    // DX Anatomy Imaged
    ImageLaterality: "U",
    // CID 4009 "DX Anatomy Imaged": SCT 816094009 "Chest" (DICOM PS3.16, as carried in pydicom _concepts_dict.py).
    AnatomicRegionSequence: [code("816094009", "SCT", "Chest")],
    // DX Detector
    DetectorType: "SCINTILLATOR",
    DetectorConfiguration: "AREA",
    DetectorID: a.detectorId ?? "SYNTH-1",
    ImagerPixelSpacing: [spacing, spacing],
    PixelSpacing: [spacing, spacing],
    PixelSpacingCalibrationType: "GEOMETRY",
    PixelSpacingCalibrationDescription: "Synthetic phantom: no magnification",
    // DX Positioning
    ViewPosition: "PA",
    PositionerType: "COLUMN",
    // CID 4010 "DX View": SCT 272479007 "postero-anterior" (DICOM PS3.16, as carried in pydicom _concepts_dict.py).
    ViewCodeSequence: [code("272479007", "SCT", "postero-anterior")],
    // VOI LUT
    WindowCenter: ds(a.windowCenter),
    WindowWidth: ds(a.windowWidth),
    WindowCenterWidthExplanation: "FULL RANGE",
    // Acquisition Context
    AcquisitionContextSequence: [],
    PixelData: [pixelBytes],
    _vrMap: { PixelData: "OW" },
  };
  const meta: NaturalDataset = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SopClassUid.DigitalXRayImageStorageForPresentation,
    MediaStorageSOPInstanceUID: a.sopInstanceUid,
    TransferSyntaxUID: TransferSyntaxUid.ExplicitVRLittleEndian,
    ImplementationClassUID: SYNTHETIC_IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: SYNTHETIC_IMPLEMENTATION_VERSION_NAME,
  };
  const { DicomDict, DicomMetaDictionary } = dcmjsData;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}
