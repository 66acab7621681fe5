/**
 * dicom/: the DICOM vocabulary, and nothing else — data element tags
 * (PS3.6), Value Representations and their encoding rules (PS3.5), SOP class
 * and transfer syntax UIDs (PS3.4 / PS3.5 / PS3.6), the DICOM JSON Model and
 * its readers (PS3.18 Annex F), coding scheme designators (PS3.16). A leaf:
 * it imports nothing from src/, and every other part takes these terms from
 * here instead of spelling them (`npm run lint` rejects a bare hex tag
 * elsewhere).
 */
export { Tag, formatTag, hexTag, tagLabel, type TagKeyword } from "./tags.js";
export { LONG_VRS, UNDEFINED_LENGTH, VR_MAX_LENGTH } from "./vr.js";
export { SopClassUid, sopClassName } from "./sop-class.js";
export {
  TransferSyntaxUid,
  describeTransferSyntax,
  transferSyntaxInfo,
  transferSyntaxName,
  type ByteOrder,
} from "./transfer-syntax.js";
export {
  firstNumber,
  firstString,
  isDicomJsonObject,
  sequenceItems,
  strings,
  values,
  type DicomJsonObject,
} from "./json.js";
export { DCMR, RETIRED_CODING_SCHEMES, STANDARD_CODING_SCHEMES } from "./coding-schemes.js";
export { codedLabel, isDefinedTerm, quotableValue } from "./defined-terms.js";
