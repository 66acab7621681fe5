/**
 * The summary image: a DICOM Secondary Capture Image (SOP Class
 * 1.2.840.10008.5.1.4.1.1.7, PS3.3 A.8.1) in a series of its own (Modality
 * OT, Series Number report.summarySeriesNumber), so that Orthanc Explorer,
 * the worklist preview and viewers (with a thumbnail) show the result:
 * findings table, priority, model, "machine-generated, not verified", and a
 * thumbnail of the image read with the regions of positive findings outlined
 * in the colours of the table (summary-render.ts draws it).
 *
 * Pixels: RGB, 8 bits, interleaved (Planar Configuration 0), uncompressed
 * Explicit VR Little Endian.
 *
 * Identity: the SOP and Series Instance UIDs come from the same key as the
 * SR's (study, bundle id, version, label-set hash), so a re-send after a
 * crash reuses both.
 *
 * Modality is "OT": an SR-modality series is listed by viewers as a report,
 * not an image (OHIF showed the summary as a second "SR" without a
 * thumbnail), and all instances of a series share one modality (PS3.3
 * A.1.2.3), so the picture cannot stay in the SR's series. Conversion Type
 * "WSD" (workstation).
 */
import { SopClassUid, TransferSyntaxUid } from "../dicom/index.js";
import { exactArrayBuffer } from "../bytes.js";
import { RadzError } from "../errors.js";
import { RADZ_EQUIPMENT_MODEL_NAME } from "./codes.js";
import { dicomDateTimeUtc, shortText, singleValuedString } from "./content-items.js";
import { writePart10, type NaturalizedDataset } from "./dcmjs.js";
import { specificCharacterSetFor } from "./specific-character-set.js";
import {
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  patientAndStudy,
  reportUids,
  sourceStudyInstanceUid,
  type SourceImageRef,
  type StudyReportInput,
} from "./structured-report.js";
import { renderSummaryPicture, type SummaryPicture, type TextRenderer } from "./summary-render.js";
import type { GreyImage } from "../imaging/index.js";

export interface SummaryImageInput extends Pick<
  StudyReportInput,
  "source" | "images" | "findings" | "triage" | "model" | "device" | "series" | "contentDateTime"
> {
  /** The first image read, downscaled to 8-bit grey (thumbnailOf). */
  readonly thumbnail: GreyImage;
  /** "auto" (default): system fonts when they render, a built-in bitmap font otherwise. */
  readonly textRenderer?: TextRenderer | "auto";
}

export interface BuiltSummaryImage {
  readonly part10: Uint8Array;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopClassUid: string;
  /** The rendered picture (e.g. to write a PNG). */
  readonly picture: SummaryPicture;
}

function fail(message: string, cause?: unknown): never {
  throw new RadzError("SUMMARY_RENDER_FAILED", message, cause === undefined ? {} : { cause });
}

/** The images read, each once, in input order. */
function uniqueImages(images: readonly SourceImageRef[]): SourceImageRef[] {
  const seen = new Set<string>();
  return images.filter((i) => !seen.has(i.sopInstanceUid) && seen.add(i.sopInstanceUid));
}

/**
 * Renders and builds the summary Secondary Capture.
 *
 * @throws RadzError SUMMARY_RENDER_FAILED when rendering or serialising fails
 *   (no images, an empty thumbnail), SR_BUILD_FAILED for source problems the
 *   SR builder also refuses (invalid UIDs, an image from another study,
 *   undecodable character sets).
 */
export async function buildSummaryImage(input: SummaryImageInput): Promise<BuiltSummaryImage> {
  if (input.images.length === 0) fail("A summary image needs at least one image read.");
  const studyInstanceUid = sourceStudyInstanceUid(input);
  const images = uniqueImages(input.images);
  const { model, device } = input;
  const uids = reportUids(studyInstanceUid, model);
  const created = input.contentDateTime ?? new Date();
  const when = dicomDateTimeUtc(created);

  const picture = await renderSummaryPicture({
    findings: input.findings,
    triage: input.triage,
    model,
    thumbnail: input.thumbnail,
    imageCount: images.length,
    softwareVersion: device.softwareVersion,
    createdAt: created,
    ...(input.textRenderer === undefined ? {} : { textRenderer: input.textRenderer }),
    // The thumbnail is of the first image read (analyze.ts).
    ...(images[0] === undefined ? {} : { thumbnailSource: images[0] }),
  });
  // sharp's output buffer as it is (no copy); even length: width 1024 x 3.
  const pixelBytes = exactArrayBuffer(picture.rgb);

  const dataset: NaturalizedDataset = {
    // SOP Common
    SOPClassUID: SopClassUid.SecondaryCaptureImageStorage,
    SOPInstanceUID: uids.summarySopInstanceUid,
    InstanceCreationDate: when.date,
    InstanceCreationTime: when.time,
    TimezoneOffsetFromUTC: "+0000",
    // Patient, General Study
    ...patientAndStudy(input.source, studyInstanceUid),
    // General Series
    Modality: "OT",
    SeriesInstanceUID: uids.summarySeriesInstanceUid,
    SeriesNumber: input.series.number,
    // The chest is unpaired, so Laterality (Type 2C) is absent; saying so lets
    // validators check that condition (dciodvfy reports a missing Laterality otherwise).
    BodyPartExamined: "CHEST",
    SeriesDescription: singleValuedString(input.series.description, "LO"),
    SeriesDate: when.date,
    SeriesTime: when.time,
    // General Equipment
    Manufacturer: singleValuedString(device.manufacturer, "LO"),
    ...(device.institutionName !== undefined
      ? { InstitutionName: singleValuedString(device.institutionName, "LO") }
      : {}),
    ManufacturerModelName: singleValuedString(RADZ_EQUIPMENT_MODEL_NAME, "LO"),
    SoftwareVersions: singleValuedString(device.softwareVersion, "LO"),
    // SC Equipment
    ConversionType: "WSD",
    // General Image
    InstanceNumber: 1,
    PatientOrientation: "",
    ContentDate: when.date,
    ContentTime: when.time,
    ImageType: ["DERIVED", "SECONDARY"],
    ImageComments: shortText(
      `Summary of ${model.name} ${model.version} results. Machine-generated, not verified.${
        model.synthetic ? " SYNTHETIC demonstration model." : ""
      }`,
    ),
    BurnedInAnnotation: "NO",
    RecognizableVisualFeatures: "NO",
    LossyImageCompression: "00",
    // General Reference: the images the findings rest on
    SourceImageSequence: images.map((i) => ({
      ReferencedSOPClassUID: i.sopClassUid,
      ReferencedSOPInstanceUID: i.sopInstanceUid,
    })),
    DerivationDescription: shortText(
      `Findings table of ${model.name} ${model.version} with a thumbnail of the first image read and the regions of positive findings outlined.`,
    ),
    // SC Image
    DateOfSecondaryCapture: when.date,
    TimeOfSecondaryCapture: when.time,
    // Image Pixel
    SamplesPerPixel: 3,
    PhotometricInterpretation: "RGB",
    PlanarConfiguration: 0,
    Rows: picture.height,
    Columns: picture.width,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [pixelBytes],
    _vrMap: { PixelData: "OB" },
  };
  const characterSet = specificCharacterSetFor(dataset);
  if (characterSet !== undefined) dataset.SpecificCharacterSet = characterSet;

  const meta: NaturalizedDataset = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SopClassUid.SecondaryCaptureImageStorage,
    MediaStorageSOPInstanceUID: uids.summarySopInstanceUid,
    TransferSyntaxUID: TransferSyntaxUid.ExplicitVRLittleEndian,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };

  let part10: Uint8Array;
  try {
    part10 = writePart10(meta, dataset);
  } catch (cause) {
    fail("dcmjs could not serialise the summary image.", cause);
  }
  return {
    part10,
    sopInstanceUid: uids.summarySopInstanceUid,
    seriesInstanceUid: uids.summarySeriesInstanceUid,
    sopClassUid: SopClassUid.SecondaryCaptureImageStorage,
    picture,
  };
}
