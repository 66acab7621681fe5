/**
 * Storage SOP Class UIDs (PS3.4 B.5, PS3.6 Annex A) that RadZ reads, writes or
 * names in messages, with their PS3.6 names. Which of them RadZ accepts as
 * input images is imaging's policy (imaging/sop-class.ts), not vocabulary.
 */
export const SopClassUid = {
  ComputedRadiographyImageStorage: "1.2.840.10008.5.1.4.1.1.1",
  DigitalXRayImageStorageForPresentation: "1.2.840.10008.5.1.4.1.1.1.1",
  DigitalXRayImageStorageForProcessing: "1.2.840.10008.5.1.4.1.1.1.1.1",
  DigitalMammographyXRayImageStorageForPresentation: "1.2.840.10008.5.1.4.1.1.1.2",
  DigitalMammographyXRayImageStorageForProcessing: "1.2.840.10008.5.1.4.1.1.1.2.1",
  DigitalIntraOralXRayImageStorageForPresentation: "1.2.840.10008.5.1.4.1.1.1.3",
  DigitalIntraOralXRayImageStorageForProcessing: "1.2.840.10008.5.1.4.1.1.1.3.1",
  SecondaryCaptureImageStorage: "1.2.840.10008.5.1.4.1.1.7",
  MultiframeGrayscaleByteSecondaryCaptureImageStorage: "1.2.840.10008.5.1.4.1.1.7.2",
  MultiframeGrayscaleWordSecondaryCaptureImageStorage: "1.2.840.10008.5.1.4.1.1.7.3",
  MultiframeTrueColorSecondaryCaptureImageStorage: "1.2.840.10008.5.1.4.1.1.7.4",
  GrayscaleSoftcopyPresentationStateStorage: "1.2.840.10008.5.1.4.1.1.11.1",
  KeyObjectSelectionDocumentStorage: "1.2.840.10008.5.1.4.1.1.88.59",
  BasicTextSRStorage: "1.2.840.10008.5.1.4.1.1.88.11",
  EnhancedSRStorage: "1.2.840.10008.5.1.4.1.1.88.22",
  ComprehensiveSRStorage: "1.2.840.10008.5.1.4.1.1.88.33",
  Comprehensive3DSRStorage: "1.2.840.10008.5.1.4.1.1.88.34",
  SegmentationStorage: "1.2.840.10008.5.1.4.1.1.66.4",
  EncapsulatedPDFStorage: "1.2.840.10008.5.1.4.1.1.104.1",
} as const;
export type SopClassUid = (typeof SopClassUid)[keyof typeof SopClassUid];

const S = SopClassUid;

/** PS3.6 names of the classes above, for messages. */
const SOP_CLASS_NAMES: ReadonlyMap<string, string> = new Map([
  [S.ComputedRadiographyImageStorage, "Computed Radiography Image Storage"],
  [S.DigitalXRayImageStorageForPresentation, "Digital X-Ray Image Storage - For Presentation"],
  [S.DigitalXRayImageStorageForProcessing, "Digital X-Ray Image Storage - For Processing"],
  [
    S.DigitalMammographyXRayImageStorageForPresentation,
    "Digital Mammography X-Ray Image Storage - For Presentation",
  ],
  [
    S.DigitalMammographyXRayImageStorageForProcessing,
    "Digital Mammography X-Ray Image Storage - For Processing",
  ],
  [
    S.DigitalIntraOralXRayImageStorageForPresentation,
    "Digital Intra-Oral X-Ray Image Storage - For Presentation",
  ],
  [
    S.DigitalIntraOralXRayImageStorageForProcessing,
    "Digital Intra-Oral X-Ray Image Storage - For Processing",
  ],
  [S.SecondaryCaptureImageStorage, "Secondary Capture Image Storage"],
  [
    S.MultiframeGrayscaleByteSecondaryCaptureImageStorage,
    "Multi-frame Grayscale Byte Secondary Capture Image Storage",
  ],
  [
    S.MultiframeGrayscaleWordSecondaryCaptureImageStorage,
    "Multi-frame Grayscale Word Secondary Capture Image Storage",
  ],
  [
    S.MultiframeTrueColorSecondaryCaptureImageStorage,
    "Multi-frame True Color Secondary Capture Image Storage",
  ],
  [S.GrayscaleSoftcopyPresentationStateStorage, "Grayscale Softcopy Presentation State Storage"],
  [S.KeyObjectSelectionDocumentStorage, "Key Object Selection Document Storage"],
  [S.BasicTextSRStorage, "Basic Text SR Storage"],
  [S.EnhancedSRStorage, "Enhanced SR Storage"],
  [S.ComprehensiveSRStorage, "Comprehensive SR Storage"],
  [S.Comprehensive3DSRStorage, "Comprehensive 3D SR Storage"],
  [S.SegmentationStorage, "Segmentation Storage"],
  [S.EncapsulatedPDFStorage, "Encapsulated PDF Storage"],
]);

/** A readable name for messages ("Comprehensive SR Storage"), or the UID itself. */
export function sopClassName(uid: string): string {
  return SOP_CLASS_NAMES.get(uid) ?? uid;
}
