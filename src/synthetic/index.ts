/** Synthetic chest radiograph studies for tests, demos and benchmarks. */
export { SYNTHETIC_LABELS, type SyntheticLabel } from "./labels.js";
export {
  DEFAULT_FINDING_RATE,
  generateSyntheticStudies,
  generateSyntheticStudy,
  truthCsv,
  writeSyntheticStudies,
  type SyntheticStudy,
  type SyntheticStudyOptions,
  type WrittenSyntheticStudies,
} from "./studies.js";
export { DX_FOR_PRESENTATION_SOP_CLASS_UID, EXPLICIT_VR_LITTLE_ENDIAN } from "./dx-image.js";
export { uid225 } from "./uids.js";
