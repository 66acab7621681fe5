/**
 * The one table of DICOM data element tags RadZ names (PS3.6 Table 6-1).
 *
 * The key is the attribute keyword, which is also the property name dcmjs uses
 * in a naturalized dataset; the value is the tag as 8 upper-case hex digits,
 * which is how DICOM JSON (PS3.18 F.2) and dcmjs' denaturalized dicts key it.
 * Logic everywhere in src/ uses these names, never bare hex: `npm run lint`
 * rejects an 8-hex-digit tag literal outside src/dicom/ (eslint.config.js).
 * test/dicom/tags.test.ts checks every row against dcmjs' PS3.6 dictionary.
 */
export const Tag = {
  // File Meta Information (PS3.10 7.1)
  FileMetaInformationGroupLength: "00020000",
  MediaStorageSOPClassUID: "00020002",
  MediaStorageSOPInstanceUID: "00020003",
  TransferSyntaxUID: "00020010",

  // SOP Common, General Study/Series/Image/Equipment, DX modules
  SpecificCharacterSet: "00080005",
  ImageType: "00080008",
  SOPClassUID: "00080016",
  SOPInstanceUID: "00080018",
  ContentDate: "00080023",
  ContentTime: "00080033",
  AccessionNumber: "00080050",
  Modality: "00080060",
  ModalitiesInStudy: "00080061",
  PresentationIntentType: "00080068",
  ManufacturerModelName: "00081090",
  BodyPartExamined: "00180015",
  ViewPosition: "00185101",
  StudyInstanceUID: "0020000D",
  SeriesInstanceUID: "0020000E",
  SeriesNumber: "00200011",
  InstanceNumber: "00200013",

  // Patient Module (PS3.3 C.7.1.1): named only so logs can redact them
  PatientName: "00100010",
  PatientID: "00100020",
  PatientBirthDate: "00100030",

  // DICOMweb: Retrieve URL and the STOW-RS response (PS3.18 Table 10.5.3-1)
  ReferencedSOPClassUID: "00081150",
  ReferencedSOPInstanceUID: "00081155",
  RetrieveURL: "00081190",
  WarningReason: "00081196",
  FailureReason: "00081197",
  FailedSOPSequence: "00081198",
  ReferencedSOPSequence: "00081199",
  OtherFailuresSequence: "0008119A",

  // Image Pixel Module (PS3.3 C.7.6.3)
  SamplesPerPixel: "00280002",
  PhotometricInterpretation: "00280004",
  PlanarConfiguration: "00280006",
  NumberOfFrames: "00280008",
  Rows: "00280010",
  Columns: "00280011",
  BitsAllocated: "00280100",
  BitsStored: "00280101",
  HighBit: "00280102",
  PixelRepresentation: "00280103",
  PixelPaddingValue: "00280120",
  PixelPaddingRangeLimit: "00280121",
  ExtendedOffsetTable: "7FE00001",
  ExtendedOffsetTableLengths: "7FE00002",
  PixelData: "7FE00010",

  // Modality LUT Module (PS3.3 C.11.1)
  RescaleIntercept: "00281052",
  RescaleSlope: "00281053",
  RescaleType: "00281054",
  ModalityLUTSequence: "00283000",
  LUTDescriptor: "00283002",
  LUTExplanation: "00283003",
  ModalityLUTType: "00283004",
  LUTData: "00283006",

  // VOI LUT Module (PS3.3 C.11.2)
  WindowCenter: "00281050",
  WindowWidth: "00281051",
  WindowCenterWidthExplanation: "00281055",
  VOILUTFunction: "00281056",
  VOILUTSequence: "00283010",

  // Presentation LUT (PS3.3 C.11.6 / C.8.11.6 DX)
  PresentationLUTShape: "20500020",

  // Palette Color Lookup Table Module (PS3.3 C.7.9)
  RedPaletteColorLookupTableDescriptor: "00281101",
  GreenPaletteColorLookupTableDescriptor: "00281102",
  BluePaletteColorLookupTableDescriptor: "00281103",
  RedPaletteColorLookupTableData: "00281201",
  GreenPaletteColorLookupTableData: "00281202",
  BluePaletteColorLookupTableData: "00281203",
  SegmentedRedPaletteColorLookupTableData: "00281221",

  // Item and delimitation tags (PS3.5 7.5)
  Item: "FFFEE000",
  ItemDelimitationItem: "FFFEE00D",
  SequenceDelimitationItem: "FFFEE0DD",
} as const;

export type TagKeyword = keyof typeof Tag;

/** (group, element) -> "7FE00010", the key form of the table above. */
export function hexTag(group: number, element: number): string {
  return (group * 0x10000 + element).toString(16).toUpperCase().padStart(8, "0");
}

/** "(0028,0010) Rows" — for error messages (names and tags only, never values). */
export function tagLabel(keyword: TagKeyword): string {
  return `${formatTag(Tag[keyword])} ${keyword}`;
}

/** "7FE00010" -> "(7FE0,0010)". */
export function formatTag(hex: string): string {
  const h = hex.toUpperCase();
  return `(${h.slice(0, 4)},${h.slice(4, 8)})`;
}
