/**
 * The `source` of a report from a Part-10 instance: its header (everything
 * before Pixel Data) as a naturalized dataset, ready for buildStudyReport.
 *
 * dcmjs 0.51 rejects multi-valued Specific Character Sets such as
 * "\ISO 2022 IR 87" unless errors are ignored; it then keeps the escape
 * sequences in the strings, and buildStudyReport decodes them
 * (specific-character-set.ts). A source given as DICOM JSON (WADO-RS metadata,
 * naturalized) needs none of this: its strings are already Unicode.
 */
import { Tag } from "../dicom/index.js";
import { RadzError } from "../errors.js";
import { readPart10, type NaturalizedDataset } from "./dcmjs.js";

export function readSourceDataset(part10: Uint8Array): NaturalizedDataset {
  try {
    return readPart10(part10, { ignoreErrors: true, untilTag: Tag.PixelData }).dataset;
  } catch (cause) {
    throw new RadzError(
      "DICOM_PARSE_ERROR",
      "The source instance is not a readable DICOM Part-10 object.",
      { cause },
    );
  }
}
