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
 *
 * The UIDs and their names are DICOM vocabulary (dicom/sop-class.ts).
 */
import { SopClassUid, sopClassName } from "../dicom/index.js";

export interface AcceptedSopClass {
  readonly uid: string;
  readonly name: string;
  /** "For Processing" images are raw detector data, ranked after "For Presentation". */
  readonly forProcessing: boolean;
}

export const ACCEPTED_IMAGE_SOP_CLASSES: ReadonlyMap<string, AcceptedSopClass> = new Map(
  (
    [
      [SopClassUid.ComputedRadiographyImageStorage, false],
      [SopClassUid.DigitalXRayImageStorageForPresentation, false],
      [SopClassUid.DigitalXRayImageStorageForProcessing, true],
    ] as const
  ).map(([uid, forProcessing]) => [uid, { uid, name: sopClassName(uid), forProcessing }] as const),
);
