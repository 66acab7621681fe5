/**
 * Storage SOP classes (PS3.4 B.5 / PS3.6 Annex A) that RadZ reads.
 *
 * Accepted — projection radiographs of the chest:
 *  - Computed Radiography Image Storage;
 *  - Digital X-Ray Image Storage - For Presentation;
 *  - Digital X-Ray Image Storage - For Processing (raw detector data; accepted,
 *    but ranked after For Presentation, see intake/selection.ts).
 *
 * Not accepted, on purpose:
 *  - Digital Mammography and Intra-oral X-Ray (DX family, but not chest);
 *  - Secondary Capture (single- and multi-frame): screenshots, scanned film
 *    or derived renderings, often with burned-in annotations; not an original
 *    radiograph a chest model was trained on;
 *  - every non-image object: Structured Reports (incl. RadZ's own output),
 *    Presentation States, Key Object Selection, Segmentation, Encapsulated
 *    PDF/CDA, Raw Data — and any other class not in the accepted table.
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

export interface AcceptedSopClass {
  readonly uid: string;
  readonly name: string;
  /** "For Processing" images are raw detector data, ranked after "For Presentation". */
  readonly forProcessing: boolean;
}

export const ACCEPTED_IMAGE_SOP_CLASSES: ReadonlyMap<string, AcceptedSopClass> = new Map(
  (
    [
      [SopClassUid.ComputedRadiographyImageStorage, "Computed Radiography Image Storage", false],
      [
        SopClassUid.DigitalXRayImageStorageForPresentation,
        "Digital X-Ray Image Storage - For Presentation",
        false,
      ],
      [
        SopClassUid.DigitalXRayImageStorageForProcessing,
        "Digital X-Ray Image Storage - For Processing",
        true,
      ],
    ] as const
  ).map(([uid, name, forProcessing]) => [uid, { uid, name, forProcessing }] as const),
);

/** PS3.6 names of the other classes above, for rejection messages. */
const KNOWN_NAMES: ReadonlyMap<string, string> = new Map([
  [
    SopClassUid.DigitalMammographyXRayImageStorageForPresentation,
    "Digital Mammography X-Ray Image Storage - For Presentation",
  ],
  [
    SopClassUid.DigitalMammographyXRayImageStorageForProcessing,
    "Digital Mammography X-Ray Image Storage - For Processing",
  ],
  [
    SopClassUid.DigitalIntraOralXRayImageStorageForPresentation,
    "Digital Intra-Oral X-Ray Image Storage - For Presentation",
  ],
  [
    SopClassUid.DigitalIntraOralXRayImageStorageForProcessing,
    "Digital Intra-Oral X-Ray Image Storage - For Processing",
  ],
  [SopClassUid.SecondaryCaptureImageStorage, "Secondary Capture Image Storage"],
  [
    SopClassUid.MultiframeGrayscaleByteSecondaryCaptureImageStorage,
    "Multi-frame Grayscale Byte Secondary Capture Image Storage",
  ],
  [
    SopClassUid.MultiframeGrayscaleWordSecondaryCaptureImageStorage,
    "Multi-frame Grayscale Word Secondary Capture Image Storage",
  ],
  [
    SopClassUid.MultiframeTrueColorSecondaryCaptureImageStorage,
    "Multi-frame True Color Secondary Capture Image Storage",
  ],
  [
    SopClassUid.GrayscaleSoftcopyPresentationStateStorage,
    "Grayscale Softcopy Presentation State Storage",
  ],
  [SopClassUid.KeyObjectSelectionDocumentStorage, "Key Object Selection Document Storage"],
  [SopClassUid.BasicTextSRStorage, "Basic Text SR Storage"],
  [SopClassUid.EnhancedSRStorage, "Enhanced SR Storage"],
  [SopClassUid.ComprehensiveSRStorage, "Comprehensive SR Storage"],
  [SopClassUid.Comprehensive3DSRStorage, "Comprehensive 3D SR Storage"],
  [SopClassUid.SegmentationStorage, "Segmentation Storage"],
  [SopClassUid.EncapsulatedPDFStorage, "Encapsulated PDF Storage"],
]);

/** A readable name for messages ("Comprehensive SR Storage"), or the UID itself. */
export function sopClassName(uid: string): string {
  return ACCEPTED_IMAGE_SOP_CLASSES.get(uid)?.name ?? KNOWN_NAMES.get(uid) ?? uid;
}
